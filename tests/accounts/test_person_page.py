"""What the People list and the person page show, and which actions they offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import invite_person
from accounts.models import LifecycleEvent, Person
from tests.accounts.invitations.helpers import deliver_queued
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE_URL = reverse("admin:accounts_person_changelist")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_people_list_shows_the_day_a_scheduled_invitation_will_be_sent(admin_client, admin_user):
    person = PersonFactory()
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user, send_at=START + timedelta(days=1))
        html = admin_client.get(PEOPLE_URL).content.decode()
    assert "Scheduled 3 Mar" in html
    assert "Scheduled 2 Mar" not in html


def person_url(person, action: str = "") -> str:
    if action:
        return reverse(f"admin:accounts_person_{action}", args=[person.pk])
    return reverse("admin:accounts_person_change", args=[person.pk])


DETAIL_ACTIONS = (
    "invite_detail",
    "remind_detail",
    "revoke_invitation_detail",
    "deactivate_detail",
    "reactivate_detail",
    "delete",
)


def offered(client, person) -> set[str]:
    html = client.get(person_url(person)).content.decode()
    return {name for name in DETAIL_ACTIONS if f'href="{person_url(person, name)}"' in html}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_person_page_offers_only_the_actions_that_apply(admin_client, admin_user):
    staged = PersonFactory()
    assert offered(admin_client, staged) == {"invite_detail", "deactivate_detail", "delete"}

    scheduled = PersonFactory()
    invite_person(scheduled, by=admin_user, send_at=timezone.now() + timedelta(days=1))
    assert offered(admin_client, scheduled) == {
        "invite_detail",
        "revoke_invitation_detail",
        "deactivate_detail",
        "delete",
    }

    sent = PersonFactory()
    invite_person(sent, by=admin_user)
    deliver_queued()
    assert offered(admin_client, sent) == {
        "invite_detail",
        "remind_detail",
        "revoke_invitation_detail",
        "deactivate_detail",
        "delete",
    }

    claimed = PersonFactory(claimed=True)
    assert offered(admin_client, claimed) == {"deactivate_detail"}

    gone = PersonFactory(claimed=True, status=Person.Status.DEACTIVATED)
    assert offered(admin_client, gone) == {"reactivate_detail"}


def test_remind_reached_by_url_for_a_never_invited_person_says_so(admin_client, person):
    response = admin_client.get(person_url(person, "remind_detail"), follow=True)
    assert response.redirect_chain == [(person_url(person), 302)]
    assert messages_of(response) == ["Nobody here has a sent, unclaimed invitation to remind."]
    assert "Remind 0" not in response.content.decode()


def test_revoke_reached_by_url_without_an_invitation_changes_nothing(admin_client, person):
    response = admin_client.get(person_url(person, "revoke_invitation_detail"), follow=True)
    assert response.redirect_chain == [(person_url(person), 302)]
    assert messages_of(response) == [f"{person} has no pending invitation."]
    assert "Revoke invitation" not in response.content.decode()
    response = admin_client.post(
        person_url(person, "revoke_invitation_detail"), {"confirm": "yes"}, follow=True
    )
    assert messages_of(response) == [f"{person} has no pending invitation."]
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert not LifecycleEvent.objects.filter(person_ref=person.pk).exclude(action="created")


def test_delete_reached_by_url_for_a_claimed_person_explains_and_keeps_them(admin_client):
    claimed = PersonFactory(claimed=True)
    page = admin_client.get(person_url(claimed, "delete")).content.decode()
    assert "has claimed their account, so it cannot be deleted. Deactivate it instead." in page
    assert "Confirm: delete" not in page
    admin_client.post(person_url(claimed, "delete"), {"confirm": "yes"})
    assert Person.objects.filter(pk=claimed.pk).exists()


def test_bulk_remind_of_people_never_invited_says_so_without_a_remind_0_page(admin_client):
    people = PersonFactory.create_batch(2)
    response = admin_client.post(
        PEOPLE_URL,
        {"action": "remind_selected", ACTION_CHECKBOX_NAME: [p.pk for p in people]},
        follow=True,
    )
    assert "Remind 0" not in response.content.decode()
    assert messages_of(response) == ["Nobody here has a sent, unclaimed invitation to remind."]


def test_bulk_invite_counts_only_the_people_it_will_invite(admin_client):
    staged = PersonFactory()
    claimed = PersonFactory(claimed=True)
    page = admin_client.post(
        PEOPLE_URL,
        {"action": "invite_selected", ACTION_CHECKBOX_NAME: [staged.pk, claimed.pk]},
    ).content.decode()
    assert "1 person will get an email" in page
    assert "Invite 1" in page
