"""What each admin role may do in the admin panel, and that a refusal changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AllowedDomain, LifecycleEvent, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ROLES = ("admin_user", "account_manager", "auditor")
PEOPLE_URL = reverse("admin:accounts_person_changelist")


@pytest.fixture
def signed_in(request, client):
    def sign_in(role: str):
        user = request.getfixturevalue(role)
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def target(db):
    return PersonFactory(full_name="Target", email="target@example.com", claimed=True)


def snapshot() -> tuple:
    return (
        list(Person.objects.order_by("pk").values_list("pk", "status", "role", "job_title")),
        LifecycleEvent.objects.count(),
        AllowedDomain.objects.count(),
    )


def person_form(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "email": person.email,
        "external_id": "",
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "manager": "",
        "job_title": person.job_title,
        "department": person.department,
        "location": person.location,
        "phone_number": "",
        "role": person.role,
        "_save": "Save",
    }
    data.update(overrides)
    return data


# (role) -> allowed?
MATRIX = {
    "view_list": {"admin_user": True, "account_manager": True, "auditor": True},
    "add_person": {"admin_user": True, "account_manager": True, "auditor": False},
    "change_person": {"admin_user": True, "account_manager": True, "auditor": False},
    "deactivate": {"admin_user": True, "account_manager": True, "auditor": False},
    "delete": {"admin_user": True, "account_manager": True, "auditor": False},
    "change_role": {"admin_user": True, "account_manager": False, "auditor": False},
    "add_allowed_domain": {"admin_user": True, "account_manager": False, "auditor": False},
    "view_audit_log": {"admin_user": True, "account_manager": True, "auditor": True},
    "write_audit_log": {"admin_user": False, "account_manager": False, "auditor": False},
}


def do_view_list(client, target):
    response = client.get(PEOPLE_URL)
    return response.status_code == 200 and "Target" in response.content.decode(), response


def do_add_person(client, target):
    data = person_form(Person(email="new@example.com", full_name="New"), role="")
    response = client.post(reverse("admin:accounts_person_add"), data)
    return Person.objects.filter(email="new@example.com").exists(), response


def do_change_person(client, target):
    url = reverse("admin:accounts_person_change", args=[target.pk])
    response = client.post(url, person_form(target, job_title="Changed"))
    target.refresh_from_db()
    return target.job_title == "Changed", response


def do_deactivate(client, target):
    url = reverse("admin:accounts_person_deactivate_detail", args=[target.pk])
    response = client.post(url, {"confirm": "yes"})
    target.refresh_from_db()
    return target.status == Person.Status.DEACTIVATED, response


def do_delete(client, target):
    staged = Person.objects.get(email="staged@example.com")
    url = reverse("admin:accounts_person_delete", args=[staged.pk])
    response = client.post(url, {"confirm": "yes"})
    return not Person.objects.filter(pk=staged.pk).exists(), response


def do_change_role(client, target):
    url = reverse("admin:accounts_person_change", args=[target.pk])
    response = client.post(url, person_form(target, role="auditor"))
    target.refresh_from_db()
    return target.role == "auditor", response


def do_add_allowed_domain(client, target):
    url = reverse("admin:accounts_alloweddomain_add")
    response = client.post(url, {"domain": "example.org", "_save": "Save"})
    return AllowedDomain.objects.filter(domain="example.org").exists(), response


def do_view_audit_log(client, target):
    response = client.get(reverse("admin:accounts_lifecycleevent_changelist"))
    return response.status_code == 200, response


def do_write_audit_log(client, target):
    event = LifecycleEvent.objects.filter(person=target).first()
    url = reverse("admin:accounts_lifecycleevent_change", args=[event.pk])
    response = client.post(url, {"subject": "Rewritten"})
    event.refresh_from_db()
    return event.subject == "Rewritten", response


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("capability", list(MATRIX))
def test_role_capability_matrix(signed_in, client, target, admin_user, role, capability):
    services.update_person(target, department="Audit trail", by=admin_user)
    PersonFactory(full_name="Never claimed", email="staged@example.com")
    user = signed_in(role)
    before = snapshot()
    allowed = MATRIX[capability][role]
    happened, response = globals()[f"do_{capability}"](client, target)
    assert happened is allowed
    if allowed:
        assert response.status_code in (200, 302)
    elif capability != "change_role" or role == "auditor":
        assert response.status_code == 403
        assert snapshot() == before
    else:
        # An account manager's form has no role field: the rest saves, the role stays.
        target.refresh_from_db()
        assert target.role == ""
    assert user.is_staff


@pytest.mark.parametrize("role", ROLES)
def test_only_permitted_buttons_and_actions_are_offered(signed_in, client, target, role):
    signed_in(role)
    list_html = client.get(PEOPLE_URL).content.decode()
    page_html = client.get(
        reverse("admin:accounts_person_change", args=[target.pk])
    ).content.decode()
    can_write = role != "auditor"
    assert ('value="deactivate_selected"' in list_html) is can_write
    assert ('value="delete_selected_people"' in list_html) is can_write
    assert (reverse("admin:accounts_person_add") in list_html) is can_write
    deactivate_url = reverse("admin:accounts_person_deactivate_detail", args=[target.pk])
    assert (deactivate_url in page_html) is can_write
    assert ('name="_save"' in page_html) is can_write
    assert ('name="role"' in page_html) is (role == "admin_user")


def test_auditor_cannot_run_a_bulk_action_by_posting_it(signed_in, client, target):
    signed_in("auditor")
    before = snapshot()
    response = client.post(
        PEOPLE_URL,
        {"action": "deactivate_selected", "_selected_action": [str(target.pk)], "confirm": "yes"},
    )
    # No action is offered to an auditor, so the post just shows the list again.
    assert response.status_code == 200
    assert snapshot() == before


def test_account_manager_cannot_remove_an_allowed_domain(signed_in, client, admin_user):
    domain = services.add_allowed_domain("example.com", by=admin_user)
    signed_in("account_manager")
    url = reverse("admin:accounts_alloweddomain_delete", args=[domain.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AllowedDomain.objects.filter(pk=domain.pk).exists()
    assert client.get(reverse("admin:accounts_alloweddomain_changelist")).status_code == 200


def test_people_without_a_role_are_sent_to_sign_in(client, person):
    client.force_login(person)
    response = client.get(PEOPLE_URL)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
