"""Inviting people, sending them new links and revoking invitations.

Every email goes through one path: an ``InvitationDelivery`` row (queued) is
created (``accounts.invitations.queueing``), and a worker sends it
(``accounts.invitations.delivery``). Reminders are in
``accounts.invitations.reminders``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.actors import Actor, describe
from accounts.db import BULK_ROWS, refresh_statistics
from accounts.exceptions import IllegalTransition, InvalidPerson
from accounts.invitations import ratelimit
from accounts.invitations.emails import SAMPLE_TOKEN, claim_url
from accounts.invitations.exceptions import RateLimited
from accounts.invitations.queueing import BATCH_SIZE, cancel_queued, chunks, queue_deliveries
from accounts.jobs import task
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from accounts.organisation import current_organisation
from accounts.services import Actorish, publish, record_event, require

Delivery = InvitationDelivery
OPEN = Invitation.OPEN_STATUSES
MAX_MESSAGE_LENGTH = 2000
SUPERSEDED = "Replaced by a newer link."
SELF_SERVICE = Actor(kind="system", label="Self-service new link request")


# --- settings -----------------------------------------------------------------


def expiry_days() -> int:
    """Return the days a link stays valid after the latest send (Organisation page)."""
    return current_organisation().invite_expiry_days


def reminder_days() -> list[int]:
    """Return the reminder days (Organisation page), ascending; empty when turned off."""
    return list(current_organisation().reminder_days)


# --- results ------------------------------------------------------------------


@dataclass
class InviteResult:
    """What a bulk invitation or reminder did, and whom it skipped and why."""

    invited: int = 0
    resent: int = 0
    reminded: int = 0
    skipped: list[tuple[Person, str]] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


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


def ids_of(people: Iterable[Person | int] | QuerySet[Person]) -> list[int]:
    """Return the ids of ``people`` (people, ids, or a queryset of people)."""
    if isinstance(people, QuerySet):
        return list(people.order_by().values_list("pk", flat=True))
    return [p if isinstance(p, int) else p.pk for p in people]


def record_invitation_events(
    people: list[Person],
    action: str,
    *,
    by: Actorish,
    changes: dict[int, dict[str, Any]] | None = None,
    reason: str = "",
) -> None:
    """Write one audit row per person in the caller's transaction, in bulk."""
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
        cancel_queued(earlier, SUPERSEDED, now)
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
    record_invitation_events(people, LifecycleEvent.Action.INVITED, by=by, changes=changes)
    publish([p.pk for p in staged], LifecycleEvent.Action.INVITED)
    if due_now:
        queue_deliveries(
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
        for chunk in chunks(sorted(set(ids_of(people)))):
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
        if len(result.invitations) >= BULK_ROWS:
            transaction.on_commit(partial(refresh_statistics, Person, Invitation))
    return result


# --- revoking -----------------------------------------------------------------


def revoke_open_invitations(person: Person, *, reason: str) -> int:
    """Revoke the person's unclaimed invitations and cancel queued emails.

    Writes no audit row and leaves the person's status alone: the calling
    service (deactivation) records the change. Returns how many it revoked.
    """
    return revoke_open_invitations_of([person.pk], reason=reason)


def revoke_open_invitations_of(person_ids: Iterable[int], *, reason: str) -> int:
    """Revoke the unclaimed invitations of many people at once (set-based deactivation)."""
    now = timezone.now()
    invitations = Invitation.objects.filter(person_id__in=list(person_ids), status__in=OPEN)
    cancel_queued(invitations, reason, now)
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


def send_test_invitation(*, by: Person, message: str = "") -> str:
    """Queue a sample invitation email to ``by`` so they can see what people get.

    Return the sample claim link the email holds, so a base URL that points
    at the wrong server shows at once. Raises NotAllowed or InvalidPerson
    (message too long).
    """
    require(by, "accounts.add_invitation")
    _clean_schedule(None, message, timezone.now())
    send_test_invitation_task = task("accounts.invitations.tasks.send_test_invitation_task")

    transaction.on_commit(partial(send_test_invitation_task.delay, by.pk, message))
    return claim_url(SAMPLE_TOKEN)
