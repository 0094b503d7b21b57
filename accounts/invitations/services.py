"""Inviting people, reminding them, revoking invitations and claiming accounts.

Every email goes through one path: an ``InvitationDelivery`` row (queued) is
created, a worker claims it with a conditional UPDATE (queued → sending), and
only the worker whose UPDATE changed the row sends. Rows are unique per
(invitation, kind, number), so a beat tick, a retried task or a second worker
can never produce the same email twice.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.actors import Actor, describe
from accounts.exceptions import IllegalTransition, InvalidPerson
from accounts.invitations import ratelimit
from accounts.invitations.emails import build_message
from accounts.invitations.exceptions import RateLimited
from accounts.invitations.selectors import check_claimable, find_invitation_for_token
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from accounts.services import Actorish, publish, record_event, require
from accounts.tokens import hash_token, new_token

Delivery = InvitationDelivery
OPEN = Invitation.OPEN_STATUSES
MAX_MESSAGE_LENGTH = 2000
BATCH_SIZE = 1000
# Up to this many emails are enqueued straight from the service; more are
# handed to one dispatch task so an admin request never waits on the broker.
DIRECT_ENQUEUE_LIMIT = 50
# A queued email not picked up within this time is put on the broker again
# (a lost message, a broker restart); the claim makes duplicates harmless.
REQUEUE_AFTER = timedelta(minutes=10)
# An email still "sending" after this long lost its worker mid-send.
STUCK_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3
SUPERSEDED = "Replaced by a newer link."
SELF_SERVICE = Actor(kind="system", label="Self-service new link request")

# Failures where the mail server never accepted the message, so trying again
# cannot deliver it twice.
_RETRYABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError)


# --- settings -----------------------------------------------------------------


def expiry_days() -> int:
    return int(settings.ROSTER_INVITE_EXPIRY_DAYS)


def reminder_days() -> list[int]:
    """Return the configured reminder days, ascending; empty when turned off."""
    raw = str(settings.ROSTER_REMINDER_DAYS or "")
    return sorted({int(part) for part in raw.replace(" ", "").split(",") if part})


# --- results ------------------------------------------------------------------


@dataclass
class InviteResult:
    """What a bulk invitation or reminder did, and whom it skipped and why."""

    invited: int = 0
    resent: int = 0
    reminded: int = 0
    skipped: list[tuple[Person, str]] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


@dataclass(frozen=True)
class DispatchResult:
    """What one run of the dispatcher put on the queue."""

    invitations: int
    reminders: int
    enqueued: int
    abandoned: int


# --- helpers ------------------------------------------------------------------


def _clean_schedule(send_at: datetime | None, message: str, now: datetime) -> datetime:
    errors = {}
    if send_at is not None and timezone.is_naive(send_at):
        errors["send_at"] = "Give the send time with its time zone."
    elif send_at is not None and send_at < now - timedelta(minutes=5):
        errors["send_at"] = "The send time is in the past."
    if len(message or "") > MAX_MESSAGE_LENGTH:
        errors["message"] = f"The message is longer than {MAX_MESSAGE_LENGTH} characters."
    if errors:
        raise InvalidPerson(errors)
    return now if send_at is None or send_at < now else send_at


def _refusal(person: Person) -> str | None:
    if person.status == Person.Status.ACTIVE:
        return f"{person} has already claimed their account."
    if person.status == Person.Status.DEACTIVATED:
        return f"{person} is deactivated; reactivate them before inviting."
    return None


def _ids(people: Iterable[Person | int] | QuerySet[Person]) -> list[int]:
    if isinstance(people, QuerySet):
        return list(people.order_by().values_list("pk", flat=True))
    return [p if isinstance(p, int) else p.pk for p in people]


def _chunks(ids: list[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _enqueue(delivery_ids: list[int]) -> None:
    from accounts.invitation_tasks import send_invitation_task

    for pk in delivery_ids:
        send_invitation_task.delay(pk)


def _dispatch_soon() -> None:
    from accounts.invitation_tasks import send_due_invitations_task

    send_due_invitations_task.delay()


def _queue_deliveries(deliveries: list[InvitationDelivery], now: datetime) -> None:
    """Insert queued emails and arrange for workers to get them after commit."""
    direct = len(deliveries) <= DIRECT_ENQUEUE_LIMIT
    for delivery in deliveries:
        delivery.enqueued_at = now if direct else None
    created = Delivery.objects.bulk_create(deliveries)
    Invitation.objects.filter(pk__in=[d.invitation_id for d in created]).update(
        delivery_status=Delivery.Status.QUEUED, delivery_error=""
    )
    if direct:
        transaction.on_commit(partial(_enqueue, [d.pk for d in created]))
    elif created:
        transaction.on_commit(_dispatch_soon)


def _events(
    people: list[Person],
    action: str,
    *,
    by: Actorish,
    changes: dict[int, dict[str, Any]] | None = None,
    reason: str = "",
) -> None:
    kind, label, actor = describe(by)
    LifecycleEvent.objects.bulk_create(
        [
            LifecycleEvent(
                person=person,
                person_ref=person.pk,
                subject=str(person),
                action=action,
                actor=actor,
                actor_kind=kind,
                actor_label=label,
                changes=(changes or {}).get(person.pk, {}),
                reason=reason,
            )
            for person in people
        ],
        batch_size=BATCH_SIZE,
    )


def _cancel_queued(invitations: QuerySet[Invitation], reason: str, now: datetime) -> None:
    Delivery.objects.filter(
        invitation__in=invitations.values("pk"), status=Delivery.Status.QUEUED
    ).update(status=Delivery.Status.CANCELLED, error=reason, finished_at=now)


def _invite_locked(
    people: list[Person],
    *,
    by: Actorish,
    send_at: datetime,
    message: str,
    now: datetime,
    inviter: tuple[Person | None, str] | None = None,
) -> list[Invitation]:
    """Invite locked, invitable people: staged ones become invited, invited ones
    get a new link that replaces their earlier ones."""
    if not people:
        return []
    staged = [p for p in people if p.status == Person.Status.STAGED]
    resent = [p for p in people if p.status == Person.Status.INVITED]
    if resent:
        earlier = Invitation.objects.filter(person__in=resent, status__in=OPEN)
        _cancel_queued(earlier, SUPERSEDED, now)
        earlier.update(
            status=Invitation.Status.REVOKED,
            revoked_at=now,
            revoked_reason=SUPERSEDED,
            updated_at=now,
        )
    if staged:
        Person.objects.filter(pk__in=[p.pk for p in staged]).update(
            status=Person.Status.INVITED, version=F("version") + 1, updated_at=now
        )
        for person in staged:
            person.status = Person.Status.INVITED
            person.version += 1
    if inviter is None:
        _, label, actor = describe(by)
        inviter = (actor, label)
    due_now = send_at <= now
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                person=person,
                invited_by=inviter[0],
                invited_by_label=inviter[1],
                message=message,
                send_at=send_at,
                status=Invitation.Status.SCHEDULED,
            )
            for person in people
        ],
        batch_size=BATCH_SIZE,
    )
    when = send_at.isoformat()
    changes = {p.pk: {"status": ["staged", "invited"], "send_at": [None, when]} for p in staged}
    changes.update({p.pk: {"send_at": [None, when], "new_link": [False, True]} for p in resent})
    _events(people, LifecycleEvent.Action.INVITED, by=by, changes=changes)
    publish([p.pk for p in staged], LifecycleEvent.Action.INVITED)
    if due_now:
        _queue_deliveries(
            [Delivery(invitation=inv, kind=Delivery.Kind.INVITATION) for inv in invitations],
            now,
        )
    return invitations


# --- inviting -----------------------------------------------------------------


@transaction.atomic
def invite_person(
    person: Person, *, by: Actorish, send_at: datetime | None = None, message: str = ""
) -> Invitation:
    """Invite one person now or at ``send_at``; an invited person gets a new link.

    Moves Awaiting invitation → Invited (version bump, INVITED audit, publish).
    A new link revokes earlier ones. The email is queued after commit when due
    now, else by the dispatcher at ``send_at``. Raises NotAllowed,
    IllegalTransition (active or deactivated people) or InvalidPerson.
    """
    require(by, "accounts.add_invitation")
    now = timezone.now()
    when = _clean_schedule(send_at, message, now)
    person = Person.objects.select_for_update().get(pk=person.pk)
    refusal = _refusal(person)
    if refusal:
        raise IllegalTransition(refusal)
    return _invite_locked([person], by=by, send_at=when, message=message, now=now)[0]


@transaction.atomic
def resend_invitation(
    person: Person, *, by: Actorish, send_at: datetime | None = None, message: str | None = None
) -> Invitation:
    """Send an invited person a new link, invalidating every earlier one.

    Keeps the earlier personal message unless ``message`` is given. Raises
    IllegalTransition unless the person is Invited.
    """
    require(by, "accounts.add_invitation")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.status != Person.Status.INVITED:
        raise IllegalTransition(f"{person} has no invitation to resend.")
    if message is None:
        latest = person.invitations.order_by("-created_at", "-pk").first()
        message = latest.message if latest else ""
    return invite_person(person, by=by, send_at=send_at, message=message)


def invite_people(
    people: Iterable[Person | int] | QuerySet[Person],
    *,
    by: Actorish,
    send_at: datetime | None = None,
    message: str = "",
) -> InviteResult:
    """Invite many people in one transaction with set-based writes.

    Those awaiting invitation become Invited, Invited ones get a new link, and
    active or deactivated people are skipped with the reason. Raises NotAllowed
    or InvalidPerson before changing anything.
    """
    require(by, "accounts.add_invitation")
    now = timezone.now()
    when = _clean_schedule(send_at, message, now)
    result = InviteResult()
    with transaction.atomic():
        for chunk in _chunks(sorted(set(_ids(people)))):
            locked = list(Person.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
            invitable = []
            for person in locked:
                refusal = _refusal(person)
                if refusal:
                    result.skipped.append((person, refusal))
                else:
                    invitable.append(person)
            result.resent += sum(p.status == Person.Status.INVITED for p in invitable)
            result.invited += sum(p.status == Person.Status.STAGED for p in invitable)
            result.invitations += _invite_locked(
                invitable, by=by, send_at=when, message=message, now=now
            )
    return result


# --- reminding ----------------------------------------------------------------


def _remind_locked(invitations: list[Invitation], *, by: Actorish, now: datetime) -> None:
    numbers = dict(
        Delivery.objects.filter(invitation__in=invitations, kind=Delivery.Kind.MANUAL_REMINDER)
        .order_by()
        .values_list("invitation")
        .annotate(n=Max("number"))
        .values_list("invitation", "n")
    )
    _queue_deliveries(
        [
            Delivery(
                invitation=inv,
                kind=Delivery.Kind.MANUAL_REMINDER,
                number=numbers.get(inv.pk, 0) + 1,
            )
            for inv in invitations
        ],
        now,
    )
    _events([inv.person for inv in invitations], LifecycleEvent.Action.REMINDED, by=by)


@transaction.atomic
def remind_person(person: Person, *, by: Actorish) -> Invitation:
    """Email an invited person a reminder with a fresh link to the same invitation.

    The reminder extends the link's expiry. Raises IllegalTransition when the
    person has no sent, unclaimed invitation.
    """
    require(by, "accounts.change_invitation")
    now = timezone.now()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(person=person, status__in=OPEN, person__status=Person.Status.INVITED)
        .first()
    )
    if invitation is None:
        raise IllegalTransition(f"{person} has no pending invitation.")
    if invitation.status == Invitation.Status.SCHEDULED:
        raise IllegalTransition(f"The invitation to {person} has not been sent yet.")
    _remind_locked([invitation], by=by, now=now)
    return invitation


def remind_people(
    people: Iterable[Person | int] | QuerySet[Person], *, by: Actorish
) -> InviteResult:
    """Remind every invited person whose invitation has gone out; skip the rest."""
    require(by, "accounts.change_invitation")
    now = timezone.now()
    result = InviteResult()
    with transaction.atomic():
        for chunk in _chunks(sorted(set(_ids(people)))):
            invitations = list(
                Invitation.objects.select_for_update(of=("self",))
                .select_related("person")
                .filter(
                    person__in=chunk,
                    status=Invitation.Status.SENT,
                    person__status=Person.Status.INVITED,
                )
                .order_by("person_id")
            )
            remindable = {inv.person_id for inv in invitations}
            for person in Person.objects.filter(pk__in=set(chunk) - remindable).order_by("pk"):
                result.skipped.append((person, f"{person} has no sent, unclaimed invitation."))
            if invitations:
                _remind_locked(invitations, by=by, now=now)
            result.reminded += len(invitations)
            result.invitations += invitations
    return result


# --- revoking -----------------------------------------------------------------


def revoke_open_invitations(person: Person, *, reason: str) -> int:
    """Revoke the person's unclaimed invitations and cancel queued emails.

    Writes no audit row and leaves the person's status alone: the calling
    service (deactivation) records the change. Returns how many it revoked.
    """
    now = timezone.now()
    invitations = Invitation.objects.filter(person=person, status__in=OPEN)
    _cancel_queued(invitations, reason, now)
    return invitations.update(
        status=Invitation.Status.REVOKED, revoked_at=now, revoked_reason=reason, updated_at=now
    )


@transaction.atomic
def revoke_invitation(person: Person, *, by: Actorish, reason: str = "") -> Person:
    """Invalidate every link sent to an invited person; they return to Awaiting invitation.

    Raises IllegalTransition if the person has no pending invitation.
    """
    require(by, "accounts.change_invitation")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.status != Person.Status.INVITED:
        raise IllegalTransition(f"{person} has no pending invitation.")
    revoke_open_invitations(person, reason=reason or "Revoked by an administrator.")
    person.status = Person.Status.STAGED
    person.version += 1
    person.save(update_fields=["status", "version", "updated_at"])
    record_event(
        person,
        LifecycleEvent.Action.INVITATION_REVOKED,
        by=by,
        changes={"status": ["invited", "staged"]},
        reason=reason,
    )
    publish([person.pk], LifecycleEvent.Action.INVITATION_REVOKED)
    return person


# --- claiming -----------------------------------------------------------------


def _validate_password(password: str, person: Person) -> None:
    from allauth.account.adapter import get_adapter

    try:
        get_adapter().clean_password(password, user=person)
    except ValidationError as exc:
        raise InvalidPerson({"password": " ".join(exc.messages)}) from exc


def _verify_email(person: Person) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=person).exclude(email__iexact=person.email).update(
        primary=False
    )
    address = EmailAddress.objects.filter(user=person, email__iexact=person.email).first()
    if address is None:
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    elif not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])


@transaction.atomic
def claim_account(token: str, *, password: str, first_name: str, last_name: str) -> Person:
    """Claim the account a link was sent for: set the password and names, activate.

    Consumes the link (the invitation is stamped claimed under a row lock, so
    two submissions cannot both succeed), verifies the email in allauth and
    publishes the change. Raises InvalidLink, LinkExpired, LinkRevoked,
    AlreadyClaimed, or InvalidPerson for unacceptable names or password.
    """
    now = timezone.now()
    invitation = find_invitation_for_token(token, lock=True)
    check_claimable(invitation, now=now)
    person = invitation.person
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not (first or last):
        raise InvalidPerson({"first_name": "Enter your name."})
    if len(first) > 150 or len(last) > 150:
        raise InvalidPerson({"first_name": "Names are limited to 150 characters."})
    auto_full = f"{person.first_name} {person.last_name}".strip()
    before = {"first_name": person.first_name, "last_name": person.last_name}
    person.first_name, person.last_name = first, last
    _validate_password(password, person)
    if not person.full_name or person.full_name == auto_full:
        person.full_name = f"{first} {last}".strip()
    changes: dict[str, Any] = {
        name: [old, getattr(person, name)]
        for name, old in before.items()
        if old != getattr(person, name)
    }
    changes["status"] = [person.status, Person.Status.ACTIVE.value]
    person.set_password(password)
    person.status = Person.Status.ACTIVE
    person.is_active = True
    person.claimed_at = now
    person.version += 1
    person.save(
        update_fields=[
            "first_name",
            "last_name",
            "full_name",
            "password",
            "status",
            "is_active",
            "claimed_at",
            "version",
            "updated_at",
        ]
    )
    invitation.status = Invitation.Status.CLAIMED
    invitation.claimed_at = now
    invitation.save(update_fields=["status", "claimed_at", "updated_at"])
    _cancel_queued(Invitation.objects.filter(pk=invitation.pk), "The account was claimed.", now)
    _verify_email(person)
    record_event(person, LifecycleEvent.Action.CLAIMED, by=person, changes=changes)
    publish([person.pk], LifecycleEvent.Action.CLAIMED)
    return person


def request_new_link(email: str, *, client_ip: str) -> None:
    """Send a fresh link to an invited person who asks for one by email.

    Answers the same way whether or not the email belongs to anyone; only an
    Invited person whose invitation has gone out gets mail (after commit).
    Raises RateLimited when the address or the email asked too often.
    """
    from accounts.selectors import find_person_by_email

    email = (email or "").strip()
    if not ratelimit.consume(
        "new-link", settings.ROSTER_NEW_LINK_RATE_LIMIT, ip=client_ip, key=email
    ):
        raise RateLimited("Too many requests. Wait a while before asking again.")
    person = find_person_by_email(email) if email else None
    if person is None or person.status != Person.Status.INVITED:
        return
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        latest = (
            Invitation.objects.filter(person=person, status__in=OPEN)
            .select_related("invited_by")
            .first()
        )
        if (
            person.status != Person.Status.INVITED
            or latest is None
            or latest.status != Invitation.Status.SENT
        ):
            return
        now = timezone.now()
        _invite_locked(
            [person],
            by=SELF_SERVICE,
            send_at=now,
            message=latest.message,
            now=now,
            inviter=(latest.invited_by, latest.invited_by_label),
        )


def send_test_invitation(*, by: Person, message: str = "") -> None:
    """Queue a sample invitation email to ``by`` so they can see what people get.

    Raises NotAllowed or InvalidPerson (message too long).
    """
    require(by, "accounts.add_invitation")
    _clean_schedule(None, message, timezone.now())
    from accounts.invitation_tasks import send_test_invitation_task

    transaction.on_commit(partial(send_test_invitation_task.delay, by.pk, message))


# --- sending (called by tasks) ----------------------------------------------------


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
            person__status=Person.Status.INVITED,
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
            transaction.on_commit(partial(_enqueue, ids))
        enqueued += len(ids)
    return DispatchResult(invitations, reminders, enqueued, abandoned)


def _due_invitations(now: datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        status=Invitation.Status.SCHEDULED,
        send_at__lte=now,
        person__status=Person.Status.INVITED,
    )


def _materialise(invitations: QuerySet[Invitation], kind: str, number: int) -> int:
    pending = invitations.exclude(
        Exists(Delivery.objects.filter(invitation=OuterRef("pk"), kind=kind, number=number))
    )
    total = 0
    while True:
        ids = list(pending.order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return total
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


def send_invitation_email(delivery_id: int) -> str:
    """Send one queued invitation or reminder email, at most once.

    Claims the email with a conditional UPDATE (queued → sending); a duplicate
    task, another worker or a redelivered message finds nothing to claim and
    returns "skipped". An invitation revoked or claimed since, or a person no
    longer awaiting their claim, gets nothing ("cancelled"). Records "sent" or
    "failed" with the mail server's reason; a connection failure before the
    server accepted anything is queued again up to MAX_ATTEMPTS.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENDING, attempted_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("invitation__person", "invitation__invited_by").get(
        pk=delivery_id
    )
    invitation = delivery.invitation
    is_first = delivery.kind == Delivery.Kind.INVITATION
    token = new_token()
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
    with transaction.atomic():
        # Serialises with revocation and claiming, which change the same row.
        sendable = Invitation.objects.filter(
            pk=invitation.pk, status__in=statuses, person__status=Person.Status.INVITED
        ).update(**fields)
        if sendable:
            Delivery.objects.filter(pk=delivery.pk).update(token_hash=hash_token(token))
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
        email.send()
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
