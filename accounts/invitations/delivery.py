"""Sending invitation and reminder emails, each at most once.

A worker claims a queued ``InvitationDelivery`` with a conditional UPDATE
(queued → sending) and only the worker whose UPDATE changed the row sends.
Rows are unique per (invitation, kind, number), so a beat tick, a retried
task or a second worker can never produce the same email twice. Emails are
queued by ``accounts.invitations.queueing`` and ``dispatch``; they go out
over the worker's session of ``accounts.invitations.mail_session``.
"""

from __future__ import annotations

import smtplib
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.db import connections
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.db import update_returning_pks
from accounts.invitations.emails import SAMPLE_TOKEN, Links, build_message
from accounts.invitations.invites import OPEN, expiry_days
from accounts.invitations.mail_session import deliver
from accounts.models import Invitation, InvitationDelivery, Person
from accounts.tokens import hash_token, new_token

Delivery = InvitationDelivery
MAX_ATTEMPTS = 3

# Failures where the mail server never accepted the message, so trying again
# cannot deliver it twice.
_RETRYABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError)


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
    # Every concrete field has a column (that is what makes it concrete).
    column = {
        f.name: ops.quote_name(f.column)
        for f in Delivery._meta.concrete_fields
        if f.column is not None
    }
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
        rows = update_returning_pks(
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
        deliver(email)
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
