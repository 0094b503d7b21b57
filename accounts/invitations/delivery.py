"""Sending invitation and reminder emails, each at most once.

A worker claims a queued ``InvitationDelivery`` with a conditional UPDATE
(queued → sending) and only the worker whose UPDATE changed the row sends.
Rows are unique per (invitation, kind, number), so a beat tick, a retried
task or a second worker can never produce the same email twice.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.invitations.emails import build_message
from accounts.invitations.invites import (
    BATCH_SIZE,
    OPEN,
    enqueue_deliveries,
    expiry_days,
    reminder_days,
)
from accounts.models import Invitation, InvitationDelivery, Person
from accounts.tokens import hash_token, new_token

Delivery = InvitationDelivery
# A queued email not picked up within this time is put on the broker again
# (a lost message, a broker restart); the claim makes duplicates harmless.
REQUEUE_AFTER = timedelta(minutes=10)
# An email still "sending" after this long lost its worker mid-send.
STUCK_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3
# A worker's mail session is closed after this much idleness (servers drop
# idle sessions) and after this many messages (some relays cap a session).
CONNECTION_IDLE_SECONDS = 20
MESSAGES_PER_CONNECTION = 100

# Failures where the mail server never accepted the message, so trying again
# cannot deliver it twice.
_RETRYABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError)


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
    failed, and enqueues one send task per queued email (again after
    REQUEUE_AFTER if it was not picked up). Safe to run concurrently and often.
    """
    now = now or timezone.now()
    invitations = _materialise(_due_invitations(now), Delivery.Kind.INVITATION, 0)
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
        reminders += _materialise(qs, Delivery.Kind.REMINDER, index + 1)
    abandoned = _abandon_stuck(now)
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
                break
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            transaction.on_commit(partial(enqueue_deliveries, ids))
        enqueued += len(ids)
    return DispatchResult(invitations, reminders, enqueued, abandoned)


def _due_invitations(now: datetime) -> QuerySet[Invitation]:
    # No join to the person: an open invitation always belongs to an Invited
    # person (revoking, deactivating and claiming close it), and the send
    # re-checks the person anyway. Right after a bulk invitation the planner's
    # statistics are stale, and that join turned into a nested loop over
    # every pair of rows.
    return Invitation.objects.filter(status=Invitation.Status.SCHEDULED, send_at__lte=now)


def _materialise(invitations: QuerySet[Invitation], kind: str, number: int) -> int:
    pending = invitations.exclude(
        Exists(Delivery.objects.filter(invitation=OuterRef("pk"), kind=kind, number=number))
    )
    total = last = 0
    while True:
        ids = list(
            pending.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return total
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
        total += len(ids)


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


def _finish(delivery: InvitationDelivery, status: str, error: str = "") -> None:
    now = timezone.now()
    error = error[:500]
    row: dict[str, Any] = {"status": status, "error": error, "finished_at": now}
    if status == Delivery.Status.QUEUED:
        # Picked up again by the dispatcher once REQUEUE_AFTER has passed.
        row.update(finished_at=None, enqueued_at=now)
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**row)
    fields: dict[str, Any] = {"delivery_status": status, "delivery_error": error}
    if status == Delivery.Status.SENT and delivery.kind != Delivery.Kind.INVITATION:
        fields["reminders_sent"] = F("reminders_sent") + 1
    Invitation.objects.filter(pk=delivery.invitation_id).update(**fields)


class _MailSession:
    """A worker's open connection to the mail server, reused between emails."""

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.backend = get_connection()
        self.backend.open()
        self.used_at = time.monotonic()
        self.sent = 0

    def close(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.backend.close()


_mail = threading.local()


def _drop(session: _MailSession) -> None:
    session.close()
    _mail.session = None


def _mail_session() -> _MailSession:
    key = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    session: _MailSession | None = getattr(_mail, "session", None)
    if session is not None and (
        session.key != key
        or time.monotonic() - session.used_at > CONNECTION_IDLE_SECONDS
        or session.sent >= MESSAGES_PER_CONNECTION
    ):
        session.close()
        session = None
    if session is None:
        session = _mail.session = _MailSession(key)
    return session


def _deliver(email: EmailMessage) -> None:
    """Send ``email`` over this worker's mail session, opening one when needed.

    Opening a TLS session to a relay costs more than sending a message, so a
    worker keeps its session for a while. A server that dropped an idle reused
    session fails on the first command, before accepting anything, so that
    case is tried once more on a fresh session.
    """
    session = _mail_session()
    reused = session.sent > 0
    try:
        session.backend.send_messages([email])
    except smtplib.SMTPServerDisconnected:
        _drop(session)
        if not reused:
            raise
        session = _mail.session = _MailSession(session.key)
        try:
            session.backend.send_messages([email])
        except Exception:
            _drop(session)
            raise
    except Exception:
        # Never reuse a session left in an unknown state.
        _drop(session)
        raise
    session.used_at = time.monotonic()
    session.sent += 1


def send_invitation_email(delivery_id: int) -> str:
    """Send one queued invitation or reminder email, at most once.

    Claims the email with a conditional UPDATE (queued → sending); a duplicate
    task, another worker or a redelivered message finds nothing to claim and
    returns "skipped". An invitation revoked or claimed since, or a person no
    longer awaiting their claim, gets nothing ("cancelled"). Records "sent" or
    "failed" with the mail server's reason; a connection failure before the
    server accepted anything is queued again up to MAX_ATTEMPTS ("retry").
    """
    now = timezone.now()
    token = new_token()
    # The link's hash is stored by the claim itself; its token leaves this
    # process only in the email, which is sent only if every check passes.
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENDING,
        attempted_at=now,
        attempts=F("attempts") + 1,
        token_hash=hash_token(token),
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("invitation__person", "invitation__invited_by").get(
        pk=delivery_id
    )
    invitation = delivery.invitation
    is_first = delivery.kind == Delivery.Kind.INVITATION
    expires = now + timedelta(days=expiry_days())
    fields: dict[str, Any] = {
        "expires_at": Greatest(
            Coalesce(F("expires_at"), Value(expires, DateTimeField())),
            Value(expires, DateTimeField()),
        ),
        "delivery_status": Delivery.Status.SENDING,
        "delivery_error": "",
        "updated_at": now,
    }
    if is_first:
        fields.update(
            status=Invitation.Status.SENT,
            sent_at=Coalesce(F("sent_at"), Value(now, DateTimeField())),
        )
    statuses = OPEN if is_first else (Invitation.Status.SENT,)
    # Serialises with revocation and claiming, which change the same row.
    sendable = Invitation.objects.filter(
        pk=invitation.pk, status__in=statuses, person__status=Person.Status.INVITED
    ).update(**fields)
    if not sendable:
        _finish(
            delivery,
            Delivery.Status.CANCELLED,
            "The invitation was revoked or claimed, or the person deactivated, before sending.",
        )
        return "cancelled"
    if invitation.expires_at is not None and invitation.expires_at > expires:
        expires = invitation.expires_at
    inviter = invitation.invited_by.display_name if invitation.invited_by else ""
    email = build_message(
        template="invitation" if is_first else "reminder",
        person=invitation.person,
        token=token,
        inviter=inviter,
        message=invitation.message,
        expires_at=expires,
        reminder_number=delivery.number,
    )
    try:
        _deliver(email)
    except _RETRYABLE as exc:
        if delivery.attempts < MAX_ATTEMPTS:
            _finish(delivery, Delivery.Status.QUEUED, f"Will try again: {exc}")
            return "retry"
        _finish(delivery, Delivery.Status.FAILED, str(exc) or type(exc).__name__)
        return "failed"
    except (smtplib.SMTPException, OSError) as exc:
        _finish(delivery, Delivery.Status.FAILED, str(exc) or type(exc).__name__)
        return "failed"
    _finish(delivery, Delivery.Status.SENT)
    return "sent"


def send_test_invitation_email(person_id: int, message: str = "") -> bool:
    """Send the sample invitation to ``person_id``; return False if they are gone."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return False
    build_message(
        template="invitation",
        person=person,
        token="this-is-a-sample-link-it-does-not-work",
        inviter=person.display_name,
        message=message,
        expires_at=timezone.now() + timedelta(days=expiry_days()),
        is_test=True,
    ).send()
    return True
