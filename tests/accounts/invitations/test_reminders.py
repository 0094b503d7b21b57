"""Reminders: on the configured days, at most once each, and those an administrator sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.exceptions import IllegalTransition
from accounts.invitations import (
    claim_account,
    count_remindable,
    invite_people,
    invite_person,
    remind_people,
    remind_person,
)
from accounts.invitations.tasks import (
    send_due_invitations_task,
)
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.accounts.invitations.helpers import (
    START,
    deliver_queued,
    tokens,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


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
