"""People and lifecycle endpoints: filters, pages, writes through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _emails(response) -> list[str]:
    return [p["email"] for p in response.json()["results"]]


def test_list_filters_like_the_admin(api_admin):
    boss = PersonFactory(email="boss@example.com", department="Sales", location="Paris")
    PersonFactory(email="a@example.com", department="Sales", location="Paris", manager=boss)
    PersonFactory(
        email="b@example.com",
        department="Sales",
        location="London",
        status=Person.Status.INVITED,
        manager=boss,
    )
    PersonFactory(email="c@example.com", department="Finance", location="Paris")
    url = reverse("api:person-list")

    assert _emails(api_admin.get(url, {"department": "Sales", "location": "Paris"})) == [
        "boss@example.com",
        "a@example.com",
    ]
    assert _emails(api_admin.get(url, {"status": "invited"})) == ["b@example.com"]
    assert _emails(api_admin.get(url, {"manager_id": boss.pk})) == [
        "a@example.com",
        "b@example.com",
    ]
    assert _emails(api_admin.get(url, {"search": "c@exa"})) == ["c@example.com"]
    assert _emails(api_admin.get(url, {"source": "api"})) == []


def test_list_refuses_an_unknown_status_filter(api_admin):
    response = api_admin.get(reverse("api:person-list"), {"status": "retired"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_list_pages_by_cursor_in_id_order(api_admin, admin_user):
    people = [PersonFactory(email=f"p{i}@example.com") for i in range(4)]
    url = reverse("api:person-list")

    first = api_admin.get(url, {"limit": 3}).json()
    second = api_admin.get(first["next"]).json()

    assert [p["id"] for p in first["results"]] == [admin_user.pk] + [p.pk for p in people[:2]]
    assert [p["id"] for p in second["results"]] == [p.pk for p in people[2:]]
    assert second["next"] is None
    assert set(first) == {"next", "previous", "results"}


def test_list_query_count_does_not_grow_with_the_page(
    api_admin, admin_user, django_assert_num_queries
):
    for i in range(30):
        PersonFactory(email=f"q{i}@example.com", manager=admin_user)
    url = reverse("api:person-list")
    api_admin.get(url)  # records the token's last use (once a minute)

    # The token with its person, then the page with managers joined.
    with django_assert_num_queries(2):
        response = api_admin.get(url, {"limit": 31})

    assert len(response.json()["results"]) == 31
    assert response.json()["results"][1]["manager"] == {
        "id": admin_user.pk,
        "email": "admin@example.com",
        "display_name": admin_user.display_name,
    }


def test_create_adds_a_person_from_the_api_audited_as_the_caller(api_manager, account_manager):
    response = api_manager.post(
        reverse("api:person-create"),
        {"email": "New.Person@Example.COM", "first_name": "New", "last_name": "Person"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["full_name"], body["status"], body["source"]) == (
        "New.Person@example.com",
        "New Person",
        "staged",
        "api",
    )
    event = LifecycleEvent.objects.get(person_ref=body["id"])
    assert (event.action, event.actor_id) == ("created", account_manager.pk)


def test_create_reports_every_invalid_field(api_admin):
    PersonFactory(email="taken@example.com")

    response = api_admin.post(
        reverse("api:person-create"),
        {"email": "taken@example.com", "phone_number": "not a phone"},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "phone_number"}
    assert error["fields"]["email"] == ["Another person already has the email taken@example.com."]
    assert Person.objects.filter(email="taken@example.com").count() == 1


def test_create_refuses_unknown_fields(api_admin):
    response = api_admin.post(
        reverse("api:person-create"),
        {"email": "x@example.com", "role": "admin", "depratment": "Sales"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "depratment": ["This field is not recognised."],
        "role": ["This field is not recognised."],
    }
    assert not Person.objects.filter(email="x@example.com").exists()


def test_update_changes_only_the_given_fields(api_admin, person):
    manager = PersonFactory(email="m@example.com")

    response = api_admin.post(
        reverse("api:person-update", kwargs={"person_id": person.pk}),
        {"job_title": "Buyer", "manager_id": manager.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.job_title, person.manager_id, person.version) == ("Buyer", manager.pk, 2)
    assert response.json()["manager"]["email"] == "m@example.com"


def test_update_of_a_missing_person_is_404(api_admin):
    response = api_admin.post(
        reverse("api:person-update", kwargs={"person_id": 999999}), {}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}}
    }


def test_invite_queues_the_email_after_commit(
    api_admin, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_admin.post(
            reverse("api:person-invite", kwargs={"person_id": person.pk}),
            {"message": "Welcome"},
            format="json",
        )

    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["message"]) == ("scheduled", "Welcome")
    person.refresh_from_db()
    assert person.status == Person.Status.INVITED
    assert InvitationDelivery.objects.filter(invitation__person=person).count() == 1
    assert len(callbacks) == 2  # the email task, and person_changed


def test_remind_without_a_sent_invitation_is_a_conflict(api_admin, person):
    response = api_admin.post(
        reverse("api:person-remind", kwargs={"person_id": person.pk}), {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert not Invitation.objects.exists()


def test_deactivate_then_reactivate_a_claimed_person(api_admin):
    person = PersonFactory(claimed=True)
    url = reverse("api:person-deactivate", kwargs={"person_id": person.pk})

    first = api_admin.post(url, {"reason": "Left"}, format="json")
    again = api_admin.post(url, {"reason": "Left"}, format="json")
    back = api_admin.post(
        reverse("api:person-reactivate", kwargs={"person_id": person.pk}), {}, format="json"
    )

    assert (first.status_code, first.json()["status"]) == (200, "deactivated")
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "illegal_transition",
        "message": f"{person} is already deactivated.",
        "fields": {},
    }
    assert (back.status_code, back.json()["status"]) == (200, "active")


def test_deleting_a_claimed_person_is_a_conflict(api_admin):
    person = PersonFactory(claimed=True)

    response = api_admin.post(
        reverse("api:person-delete", kwargs={"person_id": person.pk}), {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cannot_delete_claimed"
    assert Person.objects.filter(pk=person.pk).exists()


def test_delete_removes_a_person_who_never_claimed(api_admin, person):
    response = api_admin.post(
        reverse("api:person-delete", kwargs={"person_id": person.pk}),
        {"reason": "Duplicate"},
        format="json",
    )

    assert response.json() == {"id": person.pk, "deleted": True}
    assert not Person.objects.filter(pk=person.pk).exists()
    assert LifecycleEvent.objects.filter(person_ref=person.pk, action="deleted").count() == 1


def test_an_admin_cannot_deactivate_themselves(api_admin, admin_user):
    response = api_admin.post(
        reverse("api:person-deactivate", kwargs={"person_id": admin_user.pk}), {}, format="json"
    )

    assert response.status_code == 409
    admin_user.refresh_from_db()
    assert admin_user.status == Person.Status.ACTIVE


def test_audit_log_is_newest_first_and_filters_by_person(api_auditor, admin_user):
    person = PersonFactory(claimed=True)
    from accounts import services

    services.update_person(person, by=admin_user, job_title="One")
    services.deactivate_person(person, by=admin_user, reason="Left")
    url = reverse("api:audit-event-list")

    response = api_auditor.get(url, {"person_id": person.pk})

    rows = response.json()["results"]
    assert [(r["action"], r["actor_id"]) for r in rows] == [
        ("deactivated", admin_user.pk),
        ("updated", admin_user.pk),
    ]
    assert rows[0]["reason"] == "Left"
    assert rows[0]["changes"] == {"status": ["active", "deactivated"]}
    only = api_auditor.get(url, {"person_id": person.pk, "action": "updated"}).json()
    assert [r["action"] for r in only["results"]] == ["updated"]
