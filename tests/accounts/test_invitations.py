from __future__ import annotations

import json
import re
import smtplib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import transaction

from accounts import services
from accounts.exceptions import IllegalTransition, InvalidPerson, NotAllowed
from accounts.invitations import (
    attach_invitation_columns,
    claim_account,
    count_awaiting_invitation,
    count_remindable,
    filter_delivery_failed,
    filter_invited_not_claimed_for,
    get_invitation_summary,
    invite_people,
    invite_person,
    list_invitations,
    remind_people,
    remind_person,
    resend_invitation,
    revoke_invitation,
    send_test_invitation,
)
from accounts.invitations import invites as invitation_services
from accounts.invitations.tasks import (
    send_due_invitations_task,
    send_invitation_task,
    send_invitations_task,
    send_test_invitation_task,
)
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})/")


def enqueued(callbacks) -> list[int]:
    """Delivery ids the captured on-commit callbacks would put on the broker."""
    ids: list[int] = []
    for callback in callbacks:
        if getattr(callback, "func", None) is invitation_services.enqueue_deliveries:
            ids += callback.args[0]
    return ids


def dispatched(callbacks) -> int:
    return sum(cb is invitation_services._dispatch_soon for cb in callbacks)


def deliver_queued() -> list[str]:
    """Run the send task for every queued email, as a worker would."""
    ids = InvitationDelivery.objects.filter(status="queued").order_by("pk")
    return [send_invitation_task(pk) for pk in ids.values_list("pk", flat=True)]


def tokens(message) -> list[str]:
    return TOKEN_RE.findall(message.body)


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such mailbox")})


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


# --- inviting ---------------------------------------------------------------


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
    monkeypatch.setattr(invitation_services, "DIRECT_ENQUEUE_LIMIT", 2)
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


# --- what stops an email ------------------------------------------------------


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


# --- reminders ----------------------------------------------------------------


def test_reminders_go_out_on_day_3_and_day_5_once_each(admin_user, person, mailoutbox):
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
    for day, expected in [(1, 1), (2.9, 1), (3, 2), (3.5, 2), (4, 2), (5, 3), (6, 3), (6.9, 3)]:
        with time_machine.travel(START + timedelta(days=day), tick=False):
            send_due_invitations_task()
            send_due_invitations_task()
            deliver_queued()
        assert len(mailoutbox) == expected, day
    assert [m.subject for m in mailoutbox[1:]] == [
        "Reminder: your Roster account is waiting for you"
    ] * 2
    invitation = Invitation.objects.get()
    assert invitation.reminders_sent == 2
    assert list(invitation.deliveries.values_list("kind", "number")) == [
        ("invitation", 0),
        ("reminder", 1),
        ("reminder", 2),
    ]
    # The day-5 reminder carries a link that works for another seven days.
    assert invitation.expires_at == START + timedelta(days=12)


def test_no_reminders_after_the_account_is_claimed(admin_user, person, mailoutbox):
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
        [token] = tokens(mailoutbox[0])
    with time_machine.travel(START + timedelta(days=1), tick=False):
        claim_account(token, password="a sturdy passphrase", first_name="Ann", last_name="Lee")
    for day in (3, 5, 6):
        with time_machine.travel(START + timedelta(days=day), tick=False):
            send_due_invitations_task()
            deliver_queued()
    assert len(mailoutbox) == 1


def test_reminders_can_be_turned_off_or_moved(admin_user, person, mailoutbox, settings):
    settings.ROSTER_REMINDER_DAYS = ""
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
    with time_machine.travel(START + timedelta(days=5), tick=False):
        send_due_invitations_task()
        deliver_queued()
    assert len(mailoutbox) == 1
    settings.ROSTER_REMINDER_DAYS = "6"
    with time_machine.travel(START + timedelta(days=6), tick=False):
        send_due_invitations_task()
        deliver_queued()
    assert len(mailoutbox) == 2


def test_a_late_dispatcher_sends_only_the_latest_due_reminder(admin_user, person, mailoutbox):
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
    with time_machine.travel(START + timedelta(days=5, hours=1), tick=False):
        send_due_invitations_task()
        deliver_queued()
    assert len(mailoutbox) == 2
    assert list(
        InvitationDelivery.objects.filter(kind="reminder").values_list("number", flat=True)
    ) == [2]


def test_manual_reminder_sends_a_fresh_link_and_extends_expiry(admin_user, person, mailoutbox):
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
    with time_machine.travel(START + timedelta(days=8), tick=False):
        remind_person(person, by=admin_user)
        remind_person(person, by=admin_user)
        assert deliver_queued() == ["sent", "sent"]
    invitation = Invitation.objects.get()
    assert invitation.reminders_sent == 2
    assert invitation.expires_at == START + timedelta(days=15)
    assert list(invitation.deliveries.values_list("kind", "number")) == [
        ("invitation", 0),
        ("manual_reminder", 1),
        ("manual_reminder", 2),
    ]
    assert len({tokens(m)[0] for m in mailoutbox}) == 3
    assert LifecycleEvent.objects.filter(action="reminded", actor=admin_user).count() == 2


def test_reminding_before_the_invitation_went_out_is_illegal(admin_user, person):
    invite_person(person, by=admin_user, send_at=datetime(2099, 1, 1, tzinfo=UTC))
    with pytest.raises(IllegalTransition) as exc:
        remind_person(person, by=admin_user)
    assert exc.value.message == f"The invitation to {person} has not been sent yet."
    other = PersonFactory()
    with pytest.raises(IllegalTransition) as exc:
        remind_person(other, by=admin_user)
    assert exc.value.message == f"{other} has no pending invitation."
    assert LifecycleEvent.objects.filter(action="reminded").count() == 0


def test_remind_all_reminds_those_with_sent_invitations_and_skips_the_rest(admin_user, mailoutbox):
    sent = PersonFactory.create_batch(2)
    invite_people(sent, by=admin_user)
    deliver_queued()
    waiting = PersonFactory()
    assert count_remindable() == 2
    result = remind_people(Person.objects.exclude(pk=admin_user.pk), by=admin_user)
    assert result.reminded == 2
    assert [p.pk for p, _ in result.skipped] == [waiting.pk]
    assert deliver_queued() == ["sent", "sent"]
    assert len(mailoutbox) == 4


# --- delivery outcomes and selectors -------------------------------------------


def test_refused_email_is_recorded_as_failed_with_the_reason(admin_user, person, settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_invitations.RefusingBackend"
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
    settings.EMAIL_BACKEND = "tests.accounts.test_invitations.UnreachableBackend"
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


def test_summary_and_list_columns_show_invited_reminders_expiry_and_delivery(
    admin_user, person, django_assert_num_queries
):
    assert get_invitation_summary(person) is None
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user)
        deliver_queued()
    with time_machine.travel(START + timedelta(days=3), tick=False):
        send_due_invitations_task()
        deliver_queued()
        summary = get_invitation_summary(person)
    assert summary.status == "sent"
    assert summary.invited_at == START
    assert summary.sent_at == START
    assert summary.reminders_sent == 1
    assert summary.expires_at == START + timedelta(days=10)
    assert summary.is_expired is False
    assert summary.delivery_status == "sent"
    assert summary.claimed_at is None
    PersonFactory.create_batch(3)
    people = list(Person.objects.all())
    with django_assert_num_queries(1):
        attach_invitation_columns(people)
    rows = {p.pk: p for p in people}
    row = rows[person.pk]
    assert (row.invitation_status, row.invited_at, row.reminders_sent) == ("sent", START, 1)
    assert row.invitation_expires_at == START + timedelta(days=10)
    assert row.delivery_status == "sent"
    assert rows[admin_user.pk].invitation_status is None


def test_filter_invited_not_claimed_for_more_than_n_days(admin_user):
    old, recent = PersonFactory(), PersonFactory()
    with time_machine.travel(START, tick=False):
        invite_person(old, by=admin_user)
        deliver_queued()
    with time_machine.travel(START + timedelta(days=4), tick=False):
        invite_person(recent, by=admin_user)
        deliver_queued()
        people = Person.objects.all()
        assert list(filter_invited_not_claimed_for(people, days=3)) == [old]
        assert set(filter_invited_not_claimed_for(people, days=0)) == {old, recent}
        assert count_awaiting_invitation() == 0


# --- test email -----------------------------------------------------------------


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


# --- command line -----------------------------------------------------------------


def test_invite_command_invites_by_email_at_a_time_with_a_message(admin_user):
    ada = PersonFactory(email="ada@example.com")
    active = PersonFactory(email="bob@example.com", claimed=True)
    out = StringIO()
    call_command(
        "invite",
        "ADA@example.com",
        "bob@example.com",
        "--at",
        "2099-01-05T09:30+01:00",
        "--message",
        "Hello from IT",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    invitation = Invitation.objects.get(person=ada)
    assert data == {
        "invited": [
            {
                "id": ada.pk,
                "email": "ada@example.com",
                "invitation": invitation.pk,
                "send_at": "2099-01-05T08:30:00+00:00",
            }
        ],
        "skipped": [
            {
                "id": active.pk,
                "email": "bob@example.com",
                "reason": f"{active} has already claimed their account.",
            }
        ],
    }
    assert invitation.message == "Hello from IT"
    event = LifecycleEvent.objects.get(action="invited")
    assert (event.actor_kind, event.actor_label) == ("cli", "Command line")


def test_invite_command_refuses_unknown_email_or_bad_time_and_changes_nothing(db):
    PersonFactory(email="ada@example.com")
    with pytest.raises(CommandError, match=re.escape("No person has the email nobody@example.com")):
        call_command("invite", "ada@example.com", "nobody@example.com")
    with pytest.raises(CommandError, match="is not an ISO 8601 date and time"):
        call_command("invite", "ada@example.com", "--at", "tomorrow")
    assert Invitation.objects.count() == 0


def test_invite_command_as_an_auditor_is_refused(auditor):
    PersonFactory(email="ada@example.com")
    with pytest.raises(CommandError, match=re.escape("Your role does not allow this action.")):
        call_command("invite", "ada@example.com", "--as", "auditor@example.com")
    assert Invitation.objects.count() == 0


def test_invitations_command_lists_pending_and_due(admin_user):
    due, later = PersonFactory(email="due@example.com"), PersonFactory(email="later@example.com")
    with time_machine.travel(START, tick=False):
        invite_person(due, by=admin_user, send_at=START + timedelta(minutes=5))
        invite_person(later, by=admin_user, send_at=START + timedelta(days=1))
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        out = StringIO()
        call_command("invitations", "--due", "--json", stdout=out)
        assert [row["email"] for row in json.loads(out.getvalue())] == ["due@example.com"]
        out = StringIO()
        call_command("invitations", "--json", stdout=out)
        rows = json.loads(out.getvalue())
        assert [(r["email"], r["status"], r["delivery_status"]) for r in rows] == [
            ("due@example.com", "scheduled", ""),
            ("later@example.com", "scheduled", ""),
        ]
        out = StringIO()
        call_command("invitations", stdout=out)
        assert out.getvalue().splitlines()[-1] == "2 invitations."


def test_batch_send_task_sends_each_email_once(admin_user, mailoutbox):
    people = PersonFactory.create_batch(2)
    invite_people(people, by=admin_user)
    first, second = InvitationDelivery.objects.order_by("pk").values_list("pk", flat=True)
    assert send_invitations_task([first, second, first]) == {"sent": 2, "skipped": 1}
    assert send_invitations_task([first, second]) == {"skipped": 2}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
