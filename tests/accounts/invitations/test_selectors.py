"""Reading invitations: the person page summary, People list columns and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from accounts.invitations import (
    attach_invitation_columns,
    count_awaiting_invitation,
    filter_invited_not_claimed_for,
    get_invitation_summary,
    invite_person,
)
from accounts.invitations.tasks import (
    send_due_invitations_task,
)
from accounts.models import Person
from tests.accounts.invitations.helpers import (
    START,
    deliver_queued,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


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
