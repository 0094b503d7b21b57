"""Inviting people: now or later, new links, bulk invitations, roles, the send task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from accounts.exceptions import IllegalTransition, InvalidPerson, NotAllowed
from accounts.invitations import (
    invite_people,
    invite_person,
    list_invitations,
    queueing,
    remind_person,
    resend_invitation,
    revoke_invitation,
    send_test_invitation,
)
from accounts.invitations.tasks import (
    send_due_invitations_task,
    send_invitation_task,
)
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.accounts.invitations.helpers import (
    START,
    deliver_queued,
    dispatched,
    enqueued,
    tokens,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_invite_person_moves_staged_to_invited_audits_and_queues_send_after_commit(
    admin_user, person, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invite_person(person, by=admin_user, message="Welcome aboard!")
    person.refresh_from_db()
    assert person.status == Person.Status.INVITED
    assert person.is_active is False
    assert person.version == 2
    assert invitation.status == Invitation.Status.SCHEDULED
    assert invitation.invited_by == admin_user
    assert invitation.message == "Welcome aboard!"
    delivery = InvitationDelivery.objects.get(invitation=invitation)
    assert (delivery.kind, delivery.number, delivery.status) == ("invitation", 0, "queued")
    assert enqueued(callbacks) == [delivery.pk]
    event = LifecycleEvent.objects.get(person=person, action="invited")
    assert event.actor == admin_user
    assert event.changes["status"] == ["staged", "invited"]
    assert mailoutbox == []


def test_send_task_sends_the_invitation_with_organisation_inviter_message_and_link(
    admin_user, person, mailoutbox, settings
):
    settings.ORGANISATION_NAME = "Acme Ltd"
    settings.ROSTER_BASE_URL = "https://roster.acme.test"
    invitation = invite_person(person, by=admin_user, message="See you Monday.")
    assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [person.email]
    assert email.subject == f"{admin_user.display_name} invited you to Acme Ltd"
    assert "See you Monday." in email.body
    [token] = tokens(email)
    assert f"https://roster.acme.test/invitation/{token}/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f"https://roster.acme.test/invitation/{token}/" in html
    assert "Set up your account" in html
    assert "Acme Ltd" in html
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert invitation.delivery_status == "sent"
    assert invitation.expires_at == invitation.sent_at + timedelta(days=7)
    delivery = InvitationDelivery.objects.get(invitation=invitation)
    assert delivery.status == "sent"
    assert len(delivery.token_hash) == 64
    assert token not in delivery.token_hash


def test_send_task_run_twice_sends_one_email(admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    delivery = InvitationDelivery.objects.get()
    assert send_invitation_task(delivery.pk) == "sent"
    assert send_invitation_task(delivery.pk) == "skipped"
    send_due_invitations_task()
    assert deliver_queued() == []
    assert len(mailoutbox) == 1


def test_rolled_back_invitation_leaves_nothing_queued(
    admin_user, person, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invite_person(person, by=admin_user)
        raise RuntimeError("boom")
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert Invitation.objects.count() == 0
    assert InvitationDelivery.objects.count() == 0
    assert LifecycleEvent.objects.filter(action="invited").count() == 0
    assert enqueued(callbacks) == []


def test_scheduled_invitation_goes_out_only_when_due(
    admin_user, person, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            invitation = invite_person(person, by=admin_user, send_at=START + timedelta(hours=2))
        assert enqueued(callbacks) == []
        assert InvitationDelivery.objects.count() == 0
        assert [i.pk for i in list_invitations(due=True)] == []
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        assert [i.pk for i in list_invitations(due=True)] == [invitation.pk]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            send_due_invitations_task()
        delivery = InvitationDelivery.objects.get()
        assert enqueued(callbacks) == [delivery.pk]
        with django_capture_on_commit_callbacks(execute=False) as again:
            send_due_invitations_task()
        assert enqueued(again) == []
        assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 1


def test_send_time_in_the_past_or_without_time_zone_is_refused(admin_user, person):
    with pytest.raises(InvalidPerson) as exc:
        invite_person(person, by=admin_user, send_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert exc.value.errors == {"send_at": "The send time is in the past."}
    with pytest.raises(InvalidPerson) as exc:
        invite_person(person, by=admin_user, send_at=datetime(2099, 1, 1))
    assert exc.value.errors == {"send_at": "Give the send time with its time zone."}
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert Invitation.objects.count() == 0


def test_reinviting_sends_a_new_link_and_revokes_the_earlier_one(admin_user, person, mailoutbox):
    first = invite_person(person, by=admin_user, message="Hello")
    deliver_queued()
    second = resend_invitation(person, by=admin_user)
    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert first.revoked_reason == "Replaced by a newer link."
    assert second.status == Invitation.Status.SCHEDULED
    assert second.message == "Hello"
    person.refresh_from_db()
    assert person.status == Person.Status.INVITED
    assert person.version == 2
    deliver_queued()
    assert len(mailoutbox) == 2
    assert tokens(mailoutbox[0]) != tokens(mailoutbox[1])


def test_resend_before_the_first_email_went_out_cancels_it(admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    invite_person(person, by=admin_user)
    assert sorted(InvitationDelivery.objects.values_list("status", flat=True)) == [
        "cancelled",
        "queued",
    ]
    assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("active", "has already claimed their account."),
        ("deactivated", "is deactivated; reactivate them before inviting."),
    ],
)
def test_inviting_active_or_deactivated_people_is_illegal(admin_user, status, message):
    person = PersonFactory(status=status, claimed_at=START if status == "active" else None)
    with pytest.raises(IllegalTransition) as exc:
        invite_person(person, by=admin_user)
    assert exc.value.message == f"{person} {message}"
    assert Invitation.objects.count() == 0
    assert LifecycleEvent.objects.count() == 0


def test_auditor_cannot_invite_remind_or_revoke_and_nothing_changes(
    auditor, person, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(NotAllowed):
            invite_person(person, by=auditor)
        with pytest.raises(NotAllowed):
            invite_people([person], by=auditor)
        with pytest.raises(NotAllowed):
            remind_person(person, by=auditor)
        with pytest.raises(NotAllowed):
            revoke_invitation(person, by=auditor)
        with pytest.raises(NotAllowed):
            send_test_invitation(by=auditor)
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert Invitation.objects.count() == 0
    assert LifecycleEvent.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []


def test_account_manager_can_invite_remind_and_revoke(account_manager, person, mailoutbox):
    invite_person(person, by=account_manager)
    deliver_queued()
    remind_person(person, by=account_manager)
    revoke_invitation(person, by=account_manager)
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert list(
        LifecycleEvent.objects.filter(person=person).order_by("id").values_list("action", flat=True)
    ) == ["invited", "reminded", "invitation_revoked"]


def test_invite_people_invites_staged_resends_invited_and_skips_the_rest(
    admin_user, django_capture_on_commit_callbacks
):
    staged = PersonFactory.create_batch(3)
    invited = PersonFactory()
    invite_person(invited, by=admin_user)
    active = PersonFactory(claimed=True)
    gone = PersonFactory(status="deactivated")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = invite_people(
            Person.objects.filter(pk__in=[p.pk for p in [*staged, invited, active, gone]]),
            by=admin_user,
        )
    assert (result.invited, result.resent) == (3, 1)
    assert [(p.pk, reason) for p, reason in result.skipped] == [
        (active.pk, f"{active} has already claimed their account."),
        (gone.pk, f"{gone} is deactivated; reactivate them before inviting."),
    ]
    assert set(Person.objects.filter(status="invited").values_list("pk", flat=True)) == {
        p.pk for p in [*staged, invited]
    }
    assert Invitation.objects.filter(status="scheduled").count() == 4
    assert Invitation.objects.filter(status="revoked").count() == 1
    assert len(enqueued(callbacks)) == 4
    assert LifecycleEvent.objects.filter(action="invited").count() == 5


def test_invite_people_in_bulk_hands_large_batches_to_one_dispatch_task(
    admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(queueing, "DIRECT_ENQUEUE_LIMIT", 2)
    people = PersonFactory.create_batch(5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = invite_people(people, by=admin_user, message="Hi")
    assert result.invited == 5
    assert enqueued(callbacks) == []
    assert dispatched(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_due_invitations_task()
    assert sorted(enqueued(callbacks)) == sorted(
        InvitationDelivery.objects.values_list("pk", flat=True)
    )


def test_invite_people_query_count_does_not_grow_with_the_batch(
    admin_user, django_assert_max_num_queries
):
    few = PersonFactory.create_batch(3)
    many = PersonFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        invite_people(few, by=admin_user)
    with django_assert_max_num_queries(12):
        invite_people(many, by=admin_user)
