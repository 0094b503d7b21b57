"""The dispatcher: queueing every email that is due and putting it on the broker.

Run by a beat task every minute. It creates the emails of invitations whose
send time has come and the reminders due on the configured days, gives up on
emails whose worker died mid-send, and puts queued emails on the broker
(again if one was not picked up). Safe to run concurrently and often: rows
are unique per (invitation, kind, number) and each is claimed before it is
sent (``accounts.invitations.delivery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.db import BULK_ROWS, refresh_statistics, update_returning_pks
from accounts.invitations.invites import reminder_days
from accounts.invitations.queueing import BATCH_SIZE, enqueue_deliveries
from accounts.models import Invitation, InvitationDelivery

Delivery = InvitationDelivery
# A queued email not picked up within this time is put on the broker again
# (a lost message, a broker restart); the claim makes duplicates harmless.
REQUEUE_AFTER = timedelta(minutes=10)
# An email still "sending" after this long lost its worker mid-send.
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class DispatchResult:
    """What one run of the dispatcher put on the queue."""

    invitations: int
    reminders: int
    enqueued: int
    abandoned: int


def dispatch_due_invitations(*, now: datetime | None = None) -> DispatchResult:
    """Queue every email that is due and put queued emails on the broker.

    Creates the emails of invitations whose send time has come and of reminders
    due on the configured days, marks emails whose worker died mid-send as
    failed, and puts queued emails on the broker in batches (again after
    REQUEUE_AFTER if they were not picked up), each chunk as soon as it
    exists. Safe to run concurrently and often.
    """
    now = now or timezone.now()
    invitations, enqueued = _materialise(_due_invitations(now), Delivery.Kind.INVITATION, 0, now)
    reminders = 0
    days = reminder_days()
    for index, day in enumerate(days):
        qs = Invitation.objects.filter(
            status=Invitation.Status.SENT,
            sent_at__lte=now - timedelta(days=day),
            expires_at__gt=now,
        )
        if index + 1 < len(days):
            # Someone past the next reminder's day gets that one instead.
            qs = qs.filter(sent_at__gt=now - timedelta(days=days[index + 1]))
        created, put = _materialise(qs, Delivery.Kind.REMINDER, index + 1, now)
        reminders += created
        enqueued += put
    abandoned = _abandon_stuck(now)
    enqueued += _enqueue(now)
    return DispatchResult(invitations, reminders, enqueued, abandoned)


def _due_invitations(now: datetime) -> QuerySet[Invitation]:
    # No join to the person: an open invitation always belongs to an Invited
    # person (revoking, deactivating and claiming close it), and the send
    # re-checks the person anyway. Right after a bulk invitation the planner's
    # statistics are stale, and that join turned into a nested loop over
    # every pair of rows.
    return Invitation.objects.filter(status=Invitation.Status.SCHEDULED, send_at__lte=now)


def _enqueue(now: datetime) -> int:
    """Put queued emails not yet (or too long ago) on the broker; return how many."""
    enqueued = 0
    while True:
        with transaction.atomic():
            ids = list(
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(status=Delivery.Status.QUEUED)
                .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER))
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return enqueued
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            transaction.on_commit(partial(enqueue_deliveries, ids))
        enqueued += len(ids)


def _materialise(
    invitations: QuerySet[Invitation], kind: str, number: int, now: datetime
) -> tuple[int, int]:
    """Create the queued emails of ``invitations``; return (created, enqueued).

    Each chunk goes on the broker as soon as it commits, so workers start
    sending while later chunks are still being created.
    """
    pending = invitations.exclude(
        Exists(Delivery.objects.filter(invitation=OuterRef("pk"), kind=kind, number=number))
    )
    total = enqueued = last = 0
    while True:
        ids = list(
            pending.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return total, enqueued
        last = ids[-1]
        with transaction.atomic():
            # The unique (invitation, kind, number) makes a concurrent run's
            # rows win quietly instead of doubling the email.
            Delivery.objects.bulk_create(
                [Delivery(invitation_id=pk, kind=kind, number=number) for pk in ids],
                ignore_conflicts=True,
            )
            Invitation.objects.filter(pk__in=ids).update(
                delivery_status=Delivery.Status.QUEUED, delivery_error=""
            )
            # Rows a concurrent run created and put on the broker are not ours
            # to put there again.
            put = update_returning_pks(
                Delivery.objects.filter(
                    invitation_id__in=ids,
                    kind=kind,
                    number=number,
                    status=Delivery.Status.QUEUED,
                    enqueued_at__isnull=True,
                ),
                enqueued_at=now,
            )
            if not total and len(ids) >= BULK_ROWS:
                # Workers plan their claims from these statistics: refresh
                # them once, before the first chunk reaches a worker.
                transaction.on_commit(partial(refresh_statistics, Delivery))
            if put:
                transaction.on_commit(partial(enqueue_deliveries, sorted(put)))
        total += len(ids)
        enqueued += len(put)


def _abandon_stuck(now: datetime) -> int:
    stuck = list(
        Delivery.objects.filter(
            status=Delivery.Status.SENDING, attempted_at__lt=now - STUCK_AFTER
        ).values_list("pk", "invitation_id")
    )
    if not stuck:
        return 0
    reason = "The worker stopped before the mail server confirmed the send."
    Delivery.objects.filter(pk__in=[pk for pk, _ in stuck], status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, error=reason, finished_at=now
    )
    Invitation.objects.filter(pk__in=[inv for _, inv in stuck]).update(
        delivery_status=Delivery.Status.FAILED, delivery_error=reason
    )
    return len(stuck)
