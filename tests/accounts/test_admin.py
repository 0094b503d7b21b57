from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import admin_views, services
from accounts.models import AllowedDomain, LifecycleEvent, Person
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE_URL = reverse("admin:accounts_person_changelist")
ADD_URL = reverse("admin:accounts_person_add")
EVENTS_URL = reverse("admin:accounts_lifecycleevent_changelist")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def change_url(person: Person) -> str:
    return reverse("admin:accounts_person_change", args=[person.pk])


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "email": "",
        "external_id": "",
        "first_name": "",
        "last_name": "",
        "full_name": "",
        "manager": "",
        "job_title": "",
        "department": "",
        "location": "",
        "phone_number": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def person_data(person: Person, **overrides: str) -> dict[str, str]:
    data = form_data(
        email=person.email,
        external_id=person.external_id or "",
        first_name=person.first_name,
        last_name=person.last_name,
        full_name=person.full_name,
        manager=str(person.manager_id or ""),
        job_title=person.job_title,
        department=person.department,
        location=person.location,
        phone_number=person.phone_number,
        role=person.role,
    )
    data.update(overrides)
    return data


def result_names(response) -> list[str]:
    return [p.display_name for p in response.context["cl"].result_list]


# --- people list -----------------------------------------------------------


def test_people_list_shows_every_column_with_status_labels(admin_client):
    boss = PersonFactory(full_name="Grace Hopper", email="grace@example.com")
    PersonFactory(
        full_name="Ada Lovelace",
        email="ada@example.com",
        department="Research",
        job_title="Analyst",
        location="London",
        manager=boss,
        status=Person.Status.INVITED,
    )
    response = admin_client.get(PEOPLE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    headers = [str(h["text"]).lower() for h in response.context["result_headers"]][1:]
    assert headers == [
        "name",
        "email",
        "status",
        "department",
        "job title",
        "manager",
        "location",
        "source",
        "invitation",
        "last changed",
    ]
    for text in ("Ada Lovelace", "ada@example.com", "Research", "Analyst", "London", "Manual"):
        assert text in html
    assert "Invited" in html and "bg-orange-100" in html
    assert "Awaiting invitation" in html and "bg-blue-100" in html
    assert "Active" in html  # the signed-in administrator
    assert 'value="delete_selected"' not in html
    assert response.context["cl"].paginator.count_label == "3"


def test_people_search_matches_name_and_email_parts_and_exact_external_id(admin_client):
    PersonFactory(full_name="Ada Smith", email="ada@example.com", external_id="E-100")
    PersonFactory(full_name="Bob Jones", email="bob.smithers@example.com")
    PersonFactory(full_name="Carl Weber", email="carl@example.com", external_id="E-1000")
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "smi"})) == ["Ada Smith", "Bob Jones"]
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "E-100"})) == ["Ada Smith"]
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "E-10"})) == []


def test_people_filters_narrow_the_list(admin_client):
    boss = PersonFactory(full_name="Boss", department="Legal", location="Oslo")
    PersonFactory(
        full_name="Ann",
        department="Legal",
        location="Lisbon",
        manager=boss,
        status=Person.Status.INVITED,
        source=Person.Source.SPREADSHEET,
    )
    PersonFactory(full_name="Ben", department="Audit", location="Lisbon", manager=boss)
    get = admin_client.get
    assert result_names(get(PEOPLE_URL, {"status__exact": "invited"})) == ["Ann"]
    assert result_names(get(PEOPLE_URL, {"department": "Legal"})) == ["Ann", "Boss"]
    assert result_names(get(PEOPLE_URL, {"location": "Lisbon"})) == ["Ann", "Ben"]
    assert result_names(get(PEOPLE_URL, {"manager__id__exact": boss.pk})) == ["Ann", "Ben"]
    assert result_names(get(PEOPLE_URL, {"source__exact": "spreadsheet"})) == ["Ann"]
    both = get(PEOPLE_URL, {"department": "Legal", "status__exact": "staged"})
    assert result_names(both) == ["Boss"]


def test_people_list_sorts_by_a_column(admin_client):
    PersonFactory(full_name="Zed", location="Lisbon", department="Alpha")
    PersonFactory(full_name="Amy", location="Lisbon", department="Beta")
    # Column 4 is the department (column 1 the name).
    response = admin_client.get(PEOPLE_URL, {"o": "-4", "location": "Lisbon"})
    assert result_names(response) == ["Amy", "Zed"]
    response = admin_client.get(PEOPLE_URL, {"o": "4", "location": "Lisbon"})
    assert result_names(response) == ["Zed", "Amy"]


def test_manager_filter_is_an_autocomplete_not_a_list_of_people(admin_client):
    PersonFactory(full_name="Somebody Listed")
    html = admin_client.get(PEOPLE_URL).content.decode()
    assert "unfold-filter-autocomplete" in html
    assert ">Somebody Listed</option>" not in html


def test_department_choices_come_from_the_cache_after_the_first_request(admin_client):
    PersonFactory(department="Research")
    admin_client.get(PEOPLE_URL)
    PersonFactory(department="Legal")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(PEOPLE_URL)
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)
    assert "Research" in response.content.decode()
    assert ">Legal</option>" not in response.content.decode()
    cache.clear()
    assert "Legal" in admin_client.get(PEOPLE_URL).content.decode()


def test_people_list_runs_the_same_queries_at_25_and_100_rows_per_page(admin_client, monkeypatch):
    boss = PersonFactory()
    PersonFactory.create_batch(120, manager=boss)
    person_admin = admin.site._registry[Person]
    counts = {}
    for per_page in (25, 100):
        monkeypatch.setattr(person_admin, "list_per_page", per_page)
        admin_client.get(PEOPLE_URL)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(PEOPLE_URL)
        assert len(response.context["cl"].result_list) == per_page
        counts[per_page] = [q["sql"] for q in queries.captured_queries]
    assert len(counts[25]) == len(counts[100])
    # Session, person, count (after the row estimate on PostgreSQL), the page,
    # and the page's invitations.
    expected = 6 if connection.vendor == "postgresql" else 5
    assert len(counts[25]) == expected


def test_filtered_count_stops_at_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(admin_views, "COUNT_CAP", 5)
    PersonFactory.create_batch(8, department="Sales")
    response = admin_client.get(PEOPLE_URL, {"department": "Sales"})
    assert response.context["cl"].paginator.count_label == "5+"
    html = response.content.decode()
    assert 'data-result-count="5+"' in html
    assert "5+ results" in html


def test_unfiltered_count_on_sqlite_or_small_tables_is_exact(admin_client):
    PersonFactory.create_batch(3)
    paginator = admin_client.get(PEOPLE_URL).context["cl"].paginator
    assert (paginator.count, paginator.is_estimate) == (4, False)


@pytest.mark.postgres
def test_unfiltered_count_on_a_large_postgresql_table_is_the_planner_estimate(
    admin_client, monkeypatch
):
    monkeypatch.setattr(admin_views, "COUNT_CAP", 5)
    PersonFactory.create_batch(20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")
    paginator = admin_client.get(PEOPLE_URL).context["cl"].paginator
    assert paginator.is_estimate is True
    assert paginator.count_label == "about 21"


# --- add and edit ------------------------------------------------------------


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
    assert [p.pk for p in response.context["direct_reports"]] == [report.pk]
    assert f'href="{change_url(report)}">Report One</a>' in html
    assert [e.action for e in response.context["events"]] == ["updated", "created"]
    assert "job_title</span>: — → Director" in html
    assert admin_user.display_name in html
    history = admin_client.get(response.context["events_url"])
    assert [e.action for e in history.context["cl"].result_list] == ["updated", "created"]
    reports = admin_client.get(response.context["reports_url"])
    assert result_names(reports) == ["Report One"]


# --- bulk actions ------------------------------------------------------------


def action_post(action: str, people: list[Person], **extra: str) -> dict:
    return {
        "action": action,
        "_selected_action": [str(p.pk) for p in people],
        **extra,
    }


def test_bulk_deactivate_asks_for_confirmation_then_deactivates(admin_client, admin_user):
    ann = PersonFactory(full_name="Ann", claimed=True)
    ben = PersonFactory(full_name="Ben", status=Person.Status.DEACTIVATED)
    response = admin_client.post(
        PEOPLE_URL, action_post("deactivate_selected", [ann, ben], index="0")
    )
    assert response.status_code == 200
    assert [p.pk for p in response.context["done"]] == [ann.pk]
    assert [(p.pk, why) for p, why in response.context["skipped"]] == [
        (ben.pk, "Ben is already deactivated.")
    ]
    html = response.content.decode()
    assert "Confirm: deactivate 1" in html and "Cancel" in html
    ann.refresh_from_db()
    assert ann.status == Person.Status.ACTIVE
    assert not LifecycleEvent.objects.filter(action="deactivated").exists()

    response = admin_client.post(
        PEOPLE_URL,
        action_post("deactivate_selected", [ann, ben], confirm="yes", reason="Left"),
        follow=True,
    )
    ann.refresh_from_db()
    assert ann.status == Person.Status.DEACTIVATED
    event = LifecycleEvent.objects.get(action="deactivated")
    assert (event.person, event.actor, event.reason) == (ann, admin_user, "Left")
    assert [str(m) for m in response.context["messages"]] == [
        "Deactivated 1 person.",
        "Skipped 1 person: Ben is already deactivated.",
    ]


def test_bulk_reactivate_brings_back_deactivated_people(admin_client):
    ann = PersonFactory(full_name="Ann", status=Person.Status.DEACTIVATED)
    admin_client.post(PEOPLE_URL, action_post("reactivate_selected", [ann], confirm="yes"))
    ann.refresh_from_db()
    assert ann.status == Person.Status.STAGED


def test_bulk_delete_lists_claimed_people_as_skipped_and_keeps_them(admin_client):
    ann = PersonFactory(full_name="Ann")
    cat = PersonFactory(full_name="Cat", claimed=True)
    response = admin_client.post(PEOPLE_URL, action_post("delete_selected_people", [ann, cat]))
    assert [p.pk for p in response.context["done"]] == [ann.pk]
    skipped_message = (
        "Cat has claimed their account, so it cannot be deleted. Deactivate it instead."
    )
    assert [(p.pk, why) for p, why in response.context["skipped"]] == [(cat.pk, skipped_message)]
    assert Person.objects.filter(pk=ann.pk).exists()

    response = admin_client.post(
        PEOPLE_URL,
        action_post("delete_selected_people", [ann, cat], confirm="yes"),
        follow=True,
    )
    assert not Person.objects.filter(pk=ann.pk).exists()
    assert Person.objects.filter(pk=cat.pk).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Deleted 1 person.",
        f"Skipped 1 person: {skipped_message}",
    ]


def test_single_delete_of_a_claimed_person_shows_why_and_keeps_them(admin_client):
    cat = PersonFactory(full_name="Cat", claimed=True)
    delete_url = reverse("admin:accounts_person_delete", args=[cat.pk])
    response = admin_client.get(delete_url)
    assert response.status_code == 200
    assert "Nobody selected can be changed this way." in response.content.decode()
    response = admin_client.post(delete_url, {"confirm": "yes"}, follow=True)
    assert Person.objects.filter(pk=cat.pk).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Skipped 1 person: Cat has claimed their account, so it cannot be deleted. "
        "Deactivate it instead."
    ]


def test_single_delete_goes_through_the_service_and_leaves_a_tombstone(admin_client):
    ann = PersonFactory(full_name="Ann")
    pk = ann.pk
    response = admin_client.post(
        reverse("admin:accounts_person_delete", args=[pk]), {"confirm": "yes"}
    )
    assert response.url == PEOPLE_URL
    assert not Person.objects.filter(pk=pk).exists()
    event = LifecycleEvent.objects.get(person_ref=pk)
    assert (event.action, event.subject) == ("deleted", f"Deleted person #{pk}")


def test_deactivate_button_on_the_person_page_confirms_then_deactivates(admin_client):
    ann = PersonFactory(full_name="Ann", claimed=True)
    url = reverse("admin:accounts_person_deactivate_detail", args=[ann.pk])
    assert url in admin_client.get(change_url(ann)).content.decode()
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    ann.refresh_from_db()
    assert ann.status == Person.Status.ACTIVE
    response = admin_client.post(url, {"confirm": "yes", "reason": "Moved on"})
    assert response.url == change_url(ann)
    ann.refresh_from_db()
    assert ann.status == Person.Status.DEACTIVATED
    assert LifecycleEvent.objects.get(person=ann, action="deactivated").reason == "Moved on"


def test_reactivate_button_on_the_person_page_reactivates(admin_client):
    ann = PersonFactory(full_name="Ann", status=Person.Status.DEACTIVATED)
    url = reverse("admin:accounts_person_reactivate_detail", args=[ann.pk])
    admin_client.post(url, {"confirm": "yes"})
    ann.refresh_from_db()
    assert ann.status == Person.Status.STAGED


# --- audit log and allowed domains ---------------------------------------------


def test_audit_log_lists_events_with_subject_links_and_filters(admin_client, admin_user):
    ann = services.create_person(email="ann@example.com", full_name="Ann", by=admin_user)
    services.update_person(ann, department="Sales", by=admin_user)
    response = admin_client.get(EVENTS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{change_url(ann)}">Ann</a>' in html
    assert "department: — → Sales" in html
    only_updates = admin_client.get(EVENTS_URL, {"action__exact": "updated"})
    assert [e.action for e in only_updates.context["cl"].result_list] == ["updated"]
    search = admin_client.get(EVENTS_URL, {"q": "Ann"})
    assert len(search.context["cl"].result_list) == 2


def test_audit_log_refuses_every_write_even_for_administrators(admin_client, admin_user):
    event = services.create_person(email="ann@example.com", by=admin_user).events.get()
    event_url = reverse("admin:accounts_lifecycleevent_change", args=[event.pk])
    assert admin_client.get(event_url).status_code == 200
    assert admin_client.post(event_url, {"subject": "x"}).status_code == 403
    assert admin_client.get(reverse("admin:accounts_lifecycleevent_add")).status_code == 403
    delete_url = reverse("admin:accounts_lifecycleevent_delete", args=[event.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.subject == "ann@example.com"


def test_allowed_domains_are_added_and_removed_through_the_services(admin_client, admin_user):
    add_url = reverse("admin:accounts_alloweddomain_add")
    response = admin_client.post(add_url, {"domain": "@Example.ORG", "_save": "Save"})
    assert response.status_code == 302
    domain = AllowedDomain.objects.get()
    assert domain.domain == "example.org"
    response = admin_client.post(add_url, {"domain": "example.org", "_save": "Save"})
    assert response.context["adminform"].form.errors == {
        "domain": ["example.org is already allowed."]
    }
    delete_url = reverse("admin:accounts_alloweddomain_delete", args=[domain.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not AllowedDomain.objects.exists()
    assert list(
        LifecycleEvent.objects.filter(subject="example.org").values_list("action", flat=True)
    ) == ["domain_removed", "domain_added"]


# --- dashboard ----------------------------------------------------------------


def test_dashboard_shows_people_by_status_the_chart_and_the_open_domain_warning(admin_client):
    PersonFactory(status=Person.Status.INVITED)
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Any email domain is accepted." in html
    assert reverse("admin:accounts_alloweddomain_add") in html
    assert f"{PEOPLE_URL}?status__exact=invited" in html
    assert [(c["label"], c["count"]) for c in response.context["people_by_status"]] == [
        ("Awaiting invitation", 0),
        ("Invited", 1),
        ("Active", 1),
        ("Deactivated", 0),
    ]
    assert 'data-type="bar"' in html
    assert "Manual: 2" in html


def test_dashboard_drops_the_warning_once_a_domain_is_allowed(admin_client):
    AllowedDomainFactory(domain="example.com")
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Any email domain is accepted." not in html


def test_admin_offers_no_pages_for_groups_or_allauth_email_addresses(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "/admin/auth/group/" not in html
    assert "/admin/account/emailaddress/" not in html
    assert admin_client.get("/admin/auth/group/").status_code == 404
