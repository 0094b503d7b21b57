"""Adding and editing people in the admin, and the person page."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import LifecycleEvent, Person
from tests.accounts.admin.helpers import (
    ADD_URL,
    PEOPLE_URL,
    change_url,
    form_data,
    person_data,
    result_names,
)
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_add_person_creates_them_through_the_service_with_an_audit_row(admin_client, admin_user):
    boss = PersonFactory(full_name="Grace Hopper")
    response = admin_client.post(
        ADD_URL,
        form_data(
            email="Ada@Example.COM",
            first_name="Ada",
            last_name="Lovelace",
            manager=str(boss.pk),
            phone_number="020 7946 0018",
            department="Research",
        ),
    )
    assert response.status_code == 302
    person = Person.objects.get(email="Ada@example.com")
    assert response.url == PEOPLE_URL
    assert (person.full_name, person.phone_number, person.manager) == (
        "Ada Lovelace",
        "+442079460018",
        boss,
    )
    assert person.status == Person.Status.STAGED
    event = LifecycleEvent.objects.get(person=person)
    assert (event.action, event.actor) == ("created", admin_user)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"email": "TAKEN@example.com"},
            "email",
            "Another person already has the email TAKEN@example.com.",
        ),
        ({"email": "not-an-email"}, "email", "“not-an-email” is not a valid email address."),
        (
            {"email": "ada@elsewhere.org"},
            "email",
            "The domain elsewhere.org is not one of the organisation's allowed email domains.",
        ),
        ({"phone_number": "12"}, "phone_number", "“12” is not a valid phone number."),
    ],
)
def test_add_person_shows_the_service_message_on_the_field_and_saves_nothing(
    admin_client, overrides, field, message
):
    AllowedDomainFactory(domain="example.com")
    PersonFactory(email="taken@example.com")
    people, events = Person.objects.count(), LifecycleEvent.objects.count()
    response = admin_client.post(ADD_URL, form_data(**{"email": "new@example.com", **overrides}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert (Person.objects.count(), LifecycleEvent.objects.count()) == (people, events)


def test_making_a_person_their_own_manager_is_refused_on_the_manager_field(admin_client):
    person = PersonFactory(full_name="Ann")
    response = admin_client.post(change_url(person), person_data(person, manager=str(person.pk)))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "manager": ["A person cannot be their own manager."]
    }
    person.refresh_from_db()
    assert (person.manager_id, person.version) == (None, 1)
    assert not LifecycleEvent.objects.filter(person=person).exists()


def test_a_manager_cycle_is_refused_and_nothing_changes(admin_client):
    top = PersonFactory(full_name="Top")
    middle = PersonFactory(full_name="Middle", manager=top)
    bottom = PersonFactory(full_name="Bottom", manager=middle)
    response = admin_client.post(change_url(top), person_data(top, manager=str(bottom.pk)))
    assert response.context["adminform"].form.errors == {
        "manager": [
            "Bottom already reports to this person (directly or indirectly), "
            "so they cannot be this person's manager."
        ]
    }
    top.refresh_from_db()
    assert top.manager_id is None


def test_editing_a_person_saves_only_what_changed_through_the_service(admin_client, admin_user):
    person = PersonFactory(
        first_name="Ann", last_name="Lee", full_name="Ann Lee", phone_number="+442079460018"
    )
    response = admin_client.post(
        change_url(person),
        person_data(person, job_title="Head of Research", phone_number="+44 20 7946 0018"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.job_title, person.version) == ("Head of Research", 2)
    event = LifecycleEvent.objects.get(person=person, action="updated")
    assert event.actor == admin_user
    assert list(event.changes) == ["job_title"]


def test_person_page_shows_the_phone_number_in_international_format(admin_client):
    person = PersonFactory(phone_number="+442079460018")
    html = admin_client.get(change_url(person)).content.decode()
    assert 'value="+44 20 7946 0018"' in html


def test_administrator_changes_a_role_through_set_role(admin_client):
    person = PersonFactory(claimed=True)
    response = admin_client.post(change_url(person), person_data(person, role="auditor"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.role == "auditor"
    assert LifecycleEvent.objects.get(person=person).changes == {"role": ["", "auditor"]}


# --- person page -------------------------------------------------------------


def test_person_page_lists_direct_reports_and_history_newest_first(admin_client, admin_user):
    boss = services.create_person(email="boss@example.com", full_name="Boss", by=admin_user)
    report = PersonFactory(full_name="Report One", manager=boss)
    services.update_person(boss, job_title="Director", by=admin_user)
    response = admin_client.get(change_url(boss))
    html = response.content.decode()
    assert [p.pk for p in response.context["reporting_line"].reports] == [report.pk]
    assert f'href="{change_url(report)}">Report One</a>' in html
    assert [e.action for e in response.context["timeline"].entries] == ["updated", "created"]
    assert "<dt>Job title</dt>" in html
    assert '<span class="profile-after">Director</span>' in html
    assert admin_user.display_name in html
    history = admin_client.get(response.context["events_url"])
    assert [e.action for e in history.context["cl"].result_list] == ["updated", "created"]
    reports = admin_client.get(response.context["reports_url"])
    assert result_names(reports) == ["Report One"]
