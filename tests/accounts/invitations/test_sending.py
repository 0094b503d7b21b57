"""What happens to a queued email: what stops it, delivery outcomes, batches, test emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from accounts import services
from accounts.exceptions import IllegalTransition
from accounts.invitations import (
    filter_delivery_failed,
    invite_people,
    invite_person,
    revoke_invitation,
    send_test_invitation,
)
from accounts.invitations.tasks import (
    send_due_invitations_task,
    send_invitation_task,
    send_invitations_task,
    send_test_invitation_task,
)
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.accounts.invitations.helpers import (
    START,
    deliver_queued,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_person_deactivated_before_send_time_gets_nothing(admin_user, person, mailoutbox):
    with time_machine.travel(START, tick=False):
        invitation = invite_person(person, by=admin_user, send_at=START + timedelta(hours=1))
        services.deactivate_person(person, by=admin_user)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.revoked_reason == "The person was deactivated."
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        send_due_invitations_task()
        assert deliver_queued() == []
    assert mailoutbox == []


def test_email_queued_then_person_deactivated_is_cancelled(admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    delivery = InvitationDelivery.objects.get()
    services.deactivate_person(person, by=admin_user)
    assert send_invitation_task(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    assert mailoutbox == []


def test_email_claimed_by_worker_after_revocation_is_not_sent(admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    delivery = InvitationDelivery.objects.get()
    # The invitation is revoked behind the queued email's back.
    Invitation.objects.update(status="revoked")
    assert send_invitation_task(delivery.pk) == "cancelled"
    delivery.refresh_from_db()
    assert delivery.status == "cancelled"
    assert delivery.error == (
        "The invitation was revoked or claimed, or the person deactivated, before sending."
    )
    assert mailoutbox == []


def test_person_deleted_before_send_time_gets_nothing(admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    delivery_id = InvitationDelivery.objects.get().pk
    services.delete_person(person, by=admin_user)
    assert send_invitation_task(delivery_id) == "skipped"
    assert InvitationDelivery.objects.count() == 0
    assert mailoutbox == []


def test_revoke_invitation_returns_person_to_awaiting_invitation(
    admin_user, person, django_capture_on_commit_callbacks, mailoutbox
):
    invitation = invite_person(person, by=admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        revoke_invitation(person, by=admin_user, reason="Wrong team")
    person.refresh_from_db()
    invitation.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert person.version == 3
    assert invitation.status == Invitation.Status.REVOKED
    assert InvitationDelivery.objects.get().status == "cancelled"
    event = LifecycleEvent.objects.get(action="invitation_revoked")
    assert event.changes == {"status": ["invited", "staged"]}
    assert event.reason == "Wrong team"
    assert deliver_queued() == []
    assert mailoutbox == []
    with pytest.raises(IllegalTransition) as exc:
        revoke_invitation(person, by=admin_user)
    assert exc.value.message == f"{person} has no pending invitation."


def test_refused_email_is_recorded_as_failed_with_the_reason(admin_user, person, settings):
    settings.EMAIL_BACKEND = "tests.accounts.invitations.helpers.RefusingBackend"
    invite_person(person, by=admin_user)
    assert deliver_queued() == ["failed"]
    delivery = InvitationDelivery.objects.get()
    assert delivery.status == "failed"
    assert "No such mailbox" in delivery.error
    invitation = Invitation.objects.get()
    assert invitation.delivery_status == "failed"
    assert "No such mailbox" in invitation.delivery_error
    assert list(filter_delivery_failed(Person.objects.all())) == [person]


def test_unreachable_mail_server_is_retried_then_recorded_as_failed(admin_user, person, settings):
    settings.EMAIL_BACKEND = "tests.accounts.invitations.helpers.UnreachableBackend"
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        assert deliver_queued() == ["retry"]
        # Not put on the broker again before REQUEUE_AFTER.
        assert send_due_invitations_task()["enqueued"] == 0
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        assert send_due_invitations_task()["enqueued"] == 1
        assert deliver_queued() == ["retry"]
    with time_machine.travel(START + timedelta(minutes=22), tick=False):
        assert deliver_queued() == ["failed"]
    delivery = InvitationDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "Connection refused" in delivery.error


def test_email_whose_worker_died_mid_send_is_marked_failed(admin_user, person):
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        InvitationDelivery.objects.update(status="sending", attempted_at=START)
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        assert send_due_invitations_task()["abandoned"] == 1
    assert InvitationDelivery.objects.get().status == "failed"
    assert Invitation.objects.get().delivery_status == "failed"


def test_send_me_a_test_email_goes_to_the_administrator_only(
    admin_user, person, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_test_invitation(by=admin_user, message="Preview me")
    [callback] = callbacks
    assert callback.func == send_test_invitation_task.delay
    assert callback.args == (admin_user.pk, "Preview me")
    assert send_test_invitation_task(admin_user.pk, "Preview me") is True
    [email] = mailoutbox
    assert email.to == ["admin@example.com"]
    assert email.subject.startswith("[Test] ")
    assert "Preview me" in email.body
    assert Invitation.objects.count() == 0
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED


def test_batch_send_task_sends_each_email_once(admin_user, mailoutbox):
    people = PersonFactory.create_batch(2)
    invite_people(people, by=admin_user)
    first, second = InvitationDelivery.objects.order_by("pk").values_list("pk", flat=True)
    assert send_invitations_task([first, second, first]) == {"sent": 2, "skipped": 1}
    assert send_invitations_task([first, second]) == {"skipped": 2}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
