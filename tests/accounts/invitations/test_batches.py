"""Sending invitation emails in batches: one claim, one link each, outcomes per email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.invitations import invite_people, remind_people
from accounts.invitations.dispatch import dispatch_due_invitations
from accounts.invitations.tasks import send_invitations_task
from accounts.models import Invitation, InvitationDelivery, Person
from accounts.organisation import current_organisation
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})/")


def queued_ids() -> list[int]:
    return list(
        InvitationDelivery.objects.filter(status="queued")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_batch_sends_each_person_their_own_link_and_cancels_revoked_ones(admin_user, mailoutbox):
    people = PersonFactory.create_batch(3)
    invite_people(people, by=admin_user)
    # Revoked while its email sat queued (a request racing the worker).
    Invitation.objects.filter(person=people[1]).update(status="revoked")
    ids = list(InvitationDelivery.objects.order_by("pk").values_list("pk", flat=True))

    assert send_invitations_task(ids) == {"sent": 2, "cancelled": 1}

    assert [m.to for m in mailoutbox] == [[people[0].email], [people[2].email]]
    links = [TOKEN_RE.findall(m.body) for m in mailoutbox]
    assert all(len(found) == 1 for found in links)
    assert links[0] != links[1]
    statuses = dict(InvitationDelivery.objects.values_list("invitation__person__email", "status"))
    assert statuses == {
        people[0].email: "sent",
        people[1].email: "cancelled",
        people[2].email: "sent",
    }
    sent = Invitation.objects.filter(status="sent").order_by("person_id")
    assert [i.person_id for i in sent] == [people[0].pk, people[2].pk]
    assert all(i.delivery_status == "sent" and i.expires_at for i in sent)


def test_batch_skips_emails_another_worker_already_claimed(admin_user, mailoutbox):
    people = PersonFactory.create_batch(2)
    invite_people(people, by=admin_user)
    first, second = queued_ids()
    InvitationDelivery.objects.filter(pk=first).update(status="sending")

    assert send_invitations_task([first, second]) == {"sent": 1, "skipped": 1}

    assert [m.to for m in mailoutbox] == [[people[1].email]]
    assert InvitationDelivery.objects.get(pk=first).status == "sending"


def test_batch_of_reminders_counts_each_reminder_once(admin_user, mailoutbox):
    people = PersonFactory.create_batch(2)
    invite_people(people, by=admin_user)
    send_invitations_task(queued_ids())
    remind_people(Person.objects.filter(pk__in=[p.pk for p in people]), by=admin_user)

    assert send_invitations_task(queued_ids()) == {"sent": 2}

    assert list(Invitation.objects.values_list("reminders_sent", flat=True)) == [1, 1]
    assert len(mailoutbox) == 4


def test_batch_costs_the_same_queries_for_one_email_or_twenty(
    admin_user, mailoutbox, django_assert_num_queries
):
    invite_people(PersonFactory.create_batch(21), by=admin_user)
    first, *rest = queued_ids()
    current_organisation()  # the organisation's settings: one cached read per process
    # Claim, read with person and inviter, mark sending, then one update each
    # for the deliveries and their invitations.
    with django_assert_num_queries(5):
        assert send_invitations_task([first]) == {"sent": 1}
    with django_assert_num_queries(5):
        assert send_invitations_task(rest) == {"sent": 20}
    assert len(mailoutbox) == 21


def _estimated_rows(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


@pytest.mark.postgres
def test_bulk_invitation_and_dispatch_let_the_planner_see_the_new_rows(
    admin_user, django_capture_on_commit_callbacks
):
    # Without fresh statistics PostgreSQL believes hardly anyone is Invited
    # and no email is queued, and plans every sending batch as a scan of all
    # of them.
    Person.objects.bulk_create(
        Person(email=f"bulk{i}@example.org", first_name="Bulk", password="!") for i in range(1000)
    )
    with django_capture_on_commit_callbacks(execute=True):
        invite_people(
            Person.objects.filter(email__startswith="bulk"),
            by=admin_user,
            send_at=timezone.now() + timedelta(minutes=5),
        )
    assert _estimated_rows("SELECT * FROM accounts_person WHERE status = 'invited'") > 500

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dispatch_due_invitations(now=timezone.now() + timedelta(minutes=6))

    assert callbacks, "the emails were put on the broker"
    queued = "SELECT * FROM accounts_invitationdelivery WHERE status = 'queued'"
    assert _estimated_rows(queued) > 500
