"""Deactivate, reactivate and delete: bulk actions and person-page buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import LifecycleEvent, Person
from tests.accounts.admin.helpers import (
    PEOPLE_URL,
    change_url,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


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
