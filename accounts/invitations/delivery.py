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
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connections, transaction
from django.db.models import (
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from accounts.db import BULK_ROWS, refresh_statistics
from accounts.invitations.emails import SAMPLE_TOKEN, Links, build_message
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
            put = _update_returning_pks(
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


def _update_returning_pks(queryset: QuerySet[Any], **values: Any) -> set[int]:
    """Run ``queryset.update(**values)`` and return the primary keys it changed.

    Django's update() only counts rows; a conditional claim over a batch must
    know which rows it won. PostgreSQL and SQLite (3.35+) support RETURNING.
    """
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    compiler = query.get_compiler(queryset.db)
    # Turns filters across relations into "pk IN (subquery)", as update() does.
    compiler.pre_sql_setup()
    sql, params = compiler.as_sql()
    if not sql:
        return set()
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    opts = queryset.model._meta
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {quote(opts.db_table)}.{quote(opts.pk.column)}", params)
        return {row[0] for row in cursor.fetchall()}


def _finish(deliveries: Sequence[InvitationDelivery], status: str, error: str = "") -> None:
    """Record one outcome for many emails this worker holds, in a few statements."""
    if not deliveries:
        return
    now = timezone.now()
    error = error[:500]
    row: dict[str, Any] = {"status": status, "error": error, "finished_at": now}
    if status == Delivery.Status.QUEUED:
        # Picked up again by the dispatcher once REQUEUE_AFTER has passed.
        row.update(finished_at=None, enqueued_at=now)
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.SENDING
    ).update(**row)
    fields: dict[str, Any] = {"delivery_status": status, "delivery_error": error}
    Invitation.objects.filter(pk__in={d.invitation_id for d in deliveries}).update(**fields)
    if status == Delivery.Status.SENT:
        reminded = Counter(
            d.invitation_id for d in deliveries if d.kind != Delivery.Kind.INVITATION
        )
        for count in set(reminded.values()):
            Invitation.objects.filter(
                pk__in=[pk for pk, n in reminded.items() if n == count]
            ).update(reminders_sent=F("reminders_sent") + count)


class _Outcomes:
    """Outcomes of a batch, recorded together: one set of statements per kind."""

    def __init__(self) -> None:
        self.by_delivery: dict[int, str] = {}
        self.groups: dict[tuple[str, str], list[InvitationDelivery]] = defaultdict(list)

    def add(
        self, deliveries: Iterable[InvitationDelivery], outcome: str, status: str, error: str = ""
    ) -> None:
        for delivery in deliveries:
            self.by_delivery[delivery.pk] = outcome
            self.groups[status, error[:500]].append(delivery)

    def record(self) -> None:
        for (status, error), deliveries in self.groups.items():
            _finish(deliveries, status, error)
        self.groups.clear()


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


def _claim(delivery_ids: Sequence[int], now: datetime) -> dict[int, str]:
    """Claim the queued emails among ``delivery_ids``; return their new tokens.

    One conditional UPDATE (queued → sending): of several workers or tasks
    holding the same ids, each row goes to exactly one of them. The link's
    hash is stored by the claim itself; its token leaves this process only in
    the email, which is sent only if every check passes. Written as SQL: the
    ORM's CASE of a hundred WHENs costs more to compile than the UPDATE takes.
    """
    tokens = {pk: new_token() for pk in dict.fromkeys(delivery_ids)}
    if not tokens:
        return {}
    connection = connections[Delivery.objects.db]
    ops = connection.ops
    column = {f.name: ops.quote_name(f.column) for f in Delivery._meta.concrete_fields}
    each = ", ".join(["%s"] * len(tokens))
    sql = (
        f"UPDATE {ops.quote_name(Delivery._meta.db_table)} SET "
        f"{column['status']} = %s, {column['attempted_at']} = %s, "
        f"{column['attempts']} = {column['attempts']} + 1, "
        f"{column['token_hash']} = CASE {column['id']}"
        f"{' WHEN %s THEN %s' * len(tokens)} END "
        f"WHERE {column['id']} IN ({each}) AND {column['status']} = %s "
        f"RETURNING {column['id']}"
    )
    params: list[Any] = [Delivery.Status.SENDING, ops.adapt_datetimefield_value(now)]
    for pk, token in tokens.items():
        params += [pk, hash_token(token)]
    params += [*tokens, Delivery.Status.QUEUED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: tokens[pk] for (pk,) in cursor.fetchall()}


def _mark_sending(
    deliveries: list[InvitationDelivery], now: datetime, expires: datetime
) -> dict[int, datetime | None]:
    """Move the claimed emails' invitations to sending; return the sendable ones.

    Conditional on the invitation still being open and its person still
    Invited, so it serialises with revocation and claiming, which change the
    same rows. Maps each sendable invitation to its expiry before this send.
    """
    sendable: dict[int, datetime | None] = {}
    firsts = {d.invitation_id for d in deliveries if d.kind == Delivery.Kind.INVITATION}
    later = {d.invitation_id for d in deliveries} - firsts
    common: dict[str, Any] = {
        "expires_at": Greatest(
            Coalesce(F("expires_at"), Value(expires, DateTimeField())),
            Value(expires, DateTimeField()),
        ),
        "delivery_status": Delivery.Status.SENDING,
        "delivery_error": "",
        "updated_at": now,
    }
    before = {d.invitation_id: d.invitation.expires_at for d in deliveries}
    for ids, statuses, extra in (
        (
            firsts,
            OPEN,
            {
                "status": Invitation.Status.SENT,
                "sent_at": Coalesce(F("sent_at"), Value(now, DateTimeField())),
            },
        ),
        (later, (Invitation.Status.SENT,), {}),
    ):
        if not ids:
            continue
        rows = _update_returning_pks(
            Invitation.objects.filter(
                pk__in=list(ids), status__in=statuses, person__status=Person.Status.INVITED
            ),
            **common,
            **extra,
        )
        sendable.update((pk, before[pk]) for pk in rows)
    return sendable


def send_invitation_emails(delivery_ids: Sequence[int]) -> list[str]:
    """Send a batch of queued invitation or reminder emails, each at most once.

    Claims the batch with one conditional UPDATE (queued → sending); an id
    another task, worker or redelivered message already claimed, or repeated
    in the batch, is "skipped". An invitation revoked or claimed since, or a
    person no longer awaiting their claim, gets nothing ("cancelled"). Each
    email has its own link; all of them go over this worker's mail session.
    Records "sent" or "failed" with the mail server's reason; a connection
    failure before the server accepted anything is queued again up to
    MAX_ATTEMPTS ("retry"). Returns the outcome for each id, in order.
    """
    now = timezone.now()
    tokens = _claim(delivery_ids, now)
    outcomes = _Outcomes()
    if tokens:
        deliveries = list(
            Delivery.objects.filter(pk__in=list(tokens))
            .select_related("invitation__person", "invitation__invited_by")
            .order_by("pk")
        )
        expires = now + timedelta(days=expiry_days())
        links = Links.resolve()
        sendable = _mark_sending(deliveries, now, expires)
        outcomes.add(
            (d for d in deliveries if d.invitation_id not in sendable),
            "cancelled",
            Delivery.Status.CANCELLED,
            "The invitation was revoked or claimed, or the person deactivated, before sending.",
        )
        try:
            for delivery in deliveries:
                if delivery.invitation_id in sendable:
                    email = _build(delivery, tokens[delivery.pk], expires, sendable, links)
                    _send_one(delivery, email, outcomes)
        finally:
            outcomes.record()
    seen: set[int] = set()
    result = []
    for pk in delivery_ids:
        result.append(outcomes.by_delivery.get(pk, "skipped") if pk not in seen else "skipped")
        seen.add(pk)
    return result


def _build(
    delivery: InvitationDelivery,
    token: str,
    expires: datetime,
    sendable: dict[int, datetime | None],
    links: Links,
) -> EmailMessage:
    invitation = delivery.invitation
    earlier = sendable[invitation.pk]
    is_first = delivery.kind == Delivery.Kind.INVITATION
    return build_message(
        template="invitation" if is_first else "reminder",
        person=invitation.person,
        token=token,
        inviter=invitation.invited_by.display_name if invitation.invited_by else "",
        message=invitation.message,
        expires_at=earlier if earlier is not None and earlier > expires else expires,
        reminder_number=delivery.number,
        links=links,
    )


def _send_one(delivery: InvitationDelivery, email: EmailMessage, outcomes: _Outcomes) -> None:
    try:
        _deliver(email)
    except _RETRYABLE as exc:
        # Read after the claim, so attempts counts this one.
        if delivery.attempts < MAX_ATTEMPTS:
            outcomes.add([delivery], "retry", Delivery.Status.QUEUED, f"Will try again: {exc}")
        else:
            outcomes.add(
                [delivery], "failed", Delivery.Status.FAILED, str(exc) or type(exc).__name__
            )
    except (smtplib.SMTPException, OSError) as exc:
        outcomes.add([delivery], "failed", Delivery.Status.FAILED, str(exc) or type(exc).__name__)
    else:
        outcomes.add([delivery], "sent", Delivery.Status.SENT)


def send_invitation_email(delivery_id: int) -> str:
    """Send one queued invitation or reminder email, at most once.

    The batch path for one id: "sent", "skipped", "cancelled", "retry" or
    "failed" (see send_invitation_emails).
    """
    return send_invitation_emails([delivery_id])[0]


def send_test_invitation_email(person_id: int, message: str = "") -> bool:
    """Send the sample invitation to ``person_id``; return False if they are gone."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return False
    build_message(
        template="invitation",
        person=person,
        token=SAMPLE_TOKEN,
        inviter=person.display_name,
        message=message,
        expires_at=timezone.now() + timedelta(days=expiry_days()),
        is_test=True,
    ).send()
    return True
