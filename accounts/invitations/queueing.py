"""The email queue: creating ``InvitationDelivery`` rows and handing them to workers.

Every invitation and reminder email is a queued row first. A few are put on
the broker straight after commit; more go to one dispatch task, so an admin
request never waits on the broker. Queued emails of an invitation that was
replaced, revoked or claimed are cancelled here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from accounts.jobs import task
from accounts.models import Invitation, InvitationDelivery

Delivery = InvitationDelivery
BATCH_SIZE = 1000
# Up to this many emails are enqueued straight from the service; more are
# handed to one dispatch task so an admin request never waits on the broker.
DIRECT_ENQUEUE_LIMIT = 50
# Emails one send task claims and sends over one mail session. A worker lost
# mid-batch leaves its claimed emails to be marked failed, never sent twice.
SEND_BATCH_SIZE = 100


def chunks(ids: list[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    """Yield ``ids`` in consecutive lists of at most ``size``."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Put queued emails on the broker: one task each, or a task per batch.

    A batch costs one broker round trip and one mail session instead of one
    per email; each email in it is still claimed on its own.
    """
    send_invitation_task = task("accounts.invitations.tasks.send_invitation_task")
    send_invitations_task = task("accounts.invitations.tasks.send_invitations_task")

    if len(delivery_ids) == 1:
        send_invitation_task.delay(delivery_ids[0])
        return
    for chunk in chunks(delivery_ids, SEND_BATCH_SIZE):
        send_invitations_task.delay(chunk)


def _dispatch_soon() -> None:
    send_due_invitations_task = task("accounts.invitations.tasks.send_due_invitations_task")

    send_due_invitations_task.delay()


def queue_deliveries(deliveries: list[InvitationDelivery], now: datetime) -> None:
    """Insert queued emails and arrange for workers to get them after commit."""
    direct = len(deliveries) <= DIRECT_ENQUEUE_LIMIT
    for delivery in deliveries:
        delivery.enqueued_at = now if direct else None
    created = Delivery.objects.bulk_create(deliveries)
    Invitation.objects.filter(pk__in=[d.invitation_id for d in created]).update(
        delivery_status=Delivery.Status.QUEUED, delivery_error=""
    )
    if direct:
        transaction.on_commit(partial(enqueue_deliveries, [d.pk for d in created]))
    elif created:
        transaction.on_commit(_dispatch_soon)


def cancel_queued(invitations: QuerySet[Invitation], reason: str, now: datetime) -> None:
    """Cancel the queued, not yet sent emails of ``invitations``, giving ``reason``."""
    Delivery.objects.filter(
        invitation__in=invitations.values("pk"), status=Delivery.Status.QUEUED
    ).update(status=Delivery.Status.CANCELLED, error=reason, finished_at=now)
