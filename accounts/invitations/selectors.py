"""Reads about invitations for the person's page, the People list, the CLI and pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.invitations.exceptions import AlreadyClaimed, InvalidLink, LinkExpired, LinkRevoked
from accounts.models import Invitation, InvitationDelivery, Person
from accounts.tokens import hash_token, looks_like_token


@dataclass(frozen=True)
class InvitationSummary:
    """The invitation facts a person's page shows."""

    status: str
    status_label: str
    invited_at: datetime
    invited_by: str
    send_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    expires_at: datetime | None
    is_expired: bool
    reminders_sent: int
    delivery_status: str
    delivery_error: str
    claimed_at: datetime | None


def check_claimable(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Raise the InvitationError that explains why ``invitation`` cannot be claimed."""
    now = now or timezone.now()
    person = invitation.person
    if invitation.status == Invitation.Status.CLAIMED or person.has_claimed:
        raise AlreadyClaimed(
            "This link has already been used to set up the account. Sign in instead."
        )
    if invitation.status == Invitation.Status.REVOKED or person.status != Person.Status.INVITED:
        raise LinkRevoked(
            "This link is no longer valid: a newer invitation replaced it, "
            "or the invitation was withdrawn."
        )
    if invitation.status != Invitation.Status.SENT or (
        invitation.expires_at is not None and invitation.expires_at <= now
    ):
        raise LinkExpired("This link has expired.")


def find_invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """Return the invitation a link's token belongs to. Raises InvalidLink."""
    if not looks_like_token(token or ""):
        raise InvalidLink("This link is not valid. Check that it was copied completely.")
    invitation_id = (
        InvitationDelivery.objects.filter(token_hash=hash_token(token))
        .values_list("invitation_id", flat=True)
        .first()
    )
    if invitation_id is None:
        raise InvalidLink("This link is not valid. Check that it was copied completely.")
    qs = Invitation.objects.select_related("person", "invited_by")
    if lock:
        qs = qs.select_for_update(of=("self", "person"))
    return qs.get(pk=invitation_id)


def get_claimable_invitation(token: str) -> Invitation:
    """Return the invitation a claim link is for, without consuming it.

    Raises InvalidLink, LinkExpired, LinkRevoked or AlreadyClaimed.
    """
    invitation = find_invitation_for_token(token)
    check_claimable(invitation)
    return invitation


def find_latest_invitation(person: Person) -> Invitation | None:
    """Return the person's most recent invitation of any status, or None."""
    return person.invitations.select_related("invited_by").order_by("-created_at", "-pk").first()


def get_invitation_summary(
    person: Person, *, now: datetime | None = None
) -> InvitationSummary | None:
    """Summarise the person's latest invitation, or None if never invited."""
    invitation = find_latest_invitation(person)
    if invitation is None:
        return None
    now = now or timezone.now()
    return InvitationSummary(
        status=invitation.status,
        status_label=invitation.get_status_display(),
        invited_at=invitation.created_at,
        invited_by=invitation.invited_by_label,
        send_at=invitation.send_at,
        sent_at=invitation.sent_at,
        opened_at=invitation.opened_at,
        expires_at=invitation.expires_at,
        is_expired=invitation.status == Invitation.Status.SENT
        and invitation.expires_at is not None
        and invitation.expires_at <= now,
        reminders_sent=invitation.reminders_sent,
        delivery_status=invitation.delivery_status,
        delivery_error=invitation.delivery_error,
        claimed_at=person.claimed_at,
    )


def list_deliveries(person: Person) -> QuerySet[InvitationDelivery]:
    """Return every email sent or queued for the person, newest first."""
    return (
        InvitationDelivery.objects.filter(invitation__person=person)
        .select_related("invitation")
        .order_by("-queued_at", "-pk")
    )


def attach_invitation_columns(people: Sequence[Person]) -> None:
    """Set each person's latest invitation facts on them, in one query for the lot.

    Sets ``invitation_status``, ``invited_at``, ``invitation_send_at`` (when
    it is or was due), ``invitation_sent_at``, ``invitation_expires_at``,
    ``reminders_sent`` and ``delivery_status`` (None or 0 for people never
    invited). Meant for one page of a list: a
    correlated subquery per column would run for every row an OFFSET skips.
    """
    latest: dict[int, Invitation] = {}
    invitations = (
        Invitation.objects.filter(person_id__in=[person.pk for person in people])
        .order_by("person_id", "-created_at", "-pk")
        .only(
            "person_id",
            "status",
            "created_at",
            "send_at",
            "sent_at",
            "expires_at",
            "reminders_sent",
            "delivery_status",
        )
    )
    for invitation in invitations:
        latest.setdefault(invitation.person_id, invitation)
    for person in people:
        found = latest.get(person.pk)
        columns = {
            "invitation_status": found.status if found else None,
            "invited_at": found.created_at if found else None,
            "invitation_send_at": found.send_at if found else None,
            "invitation_sent_at": found.sent_at if found else None,
            "invitation_expires_at": found.expires_at if found else None,
            "reminders_sent": found.reminders_sent if found else 0,
            "delivery_status": found.delivery_status if found else None,
        }
        # Row-only values for the list, not attributes of the model.
        for name, value in columns.items():
            setattr(person, name, value)


def filter_invited_not_claimed_for(
    people: QuerySet[Person], *, days: int, now: datetime | None = None
) -> QuerySet[Person]:
    """Keep Invited people whose first invitation went out more than ``days`` ago."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return people.filter(status=Person.Status.INVITED).filter(
        Exists(Invitation.objects.filter(person=OuterRef("pk"), sent_at__lte=cutoff))
    )


def filter_delivery_failed(people: QuerySet[Person]) -> QuerySet[Person]:
    """Keep people whose pending invitation's latest email failed."""
    return people.filter(
        Exists(
            Invitation.objects.filter(
                person=OuterRef("pk"),
                status__in=Invitation.OPEN_STATUSES,
                delivery_status=InvitationDelivery.Status.FAILED,
            )
        )
    )


def filter_invitation_scheduled(people: QuerySet[Person]) -> QuerySet[Person]:
    """Keep people whose invitation is scheduled and not sent yet."""
    return people.filter(
        Exists(Invitation.objects.filter(person=OuterRef("pk"), status=Invitation.Status.SCHEDULED))
    )


def filter_invitation_expiring(
    people: QuerySet[Person], *, days: int, now: datetime | None = None
) -> QuerySet[Person]:
    """Keep people whose sent, unclaimed link expires within ``days`` (not already expired)."""
    moment = now or timezone.now()
    return people.filter(
        Exists(
            Invitation.objects.filter(
                person=OuterRef("pk"),
                status=Invitation.Status.SENT,
                expires_at__gt=moment,
                expires_at__lte=moment + timedelta(days=days),
            )
        )
    )


def list_invitations(
    *, due: bool = False, pending: bool = False, now: datetime | None = None
) -> QuerySet[Invitation]:
    """Return invitations with their person; ``due`` keeps those whose send time has come
    but whose email is not queued yet, ``pending`` those not yet claimed or revoked."""
    qs = Invitation.objects.select_related("person").order_by("send_at", "pk")
    if pending:
        qs = qs.filter(status__in=Invitation.OPEN_STATUSES)
    if due:
        qs = qs.filter(
            status=Invitation.Status.SCHEDULED,
            send_at__lte=now or timezone.now(),
        ).exclude(
            Exists(
                InvitationDelivery.objects.filter(
                    invitation=OuterRef("pk"), kind=InvitationDelivery.Kind.INVITATION
                )
            )
        )
    return qs


def count_awaiting_invitation(people: QuerySet[Person] | None = None) -> int:
    """Count people awaiting invitation, for "Invite everyone awaiting invitation (N)"."""
    qs = people if people is not None else Person.objects.all()
    return qs.filter(status=Person.Status.STAGED).count()


def count_remindable(people: QuerySet[Person] | None = None) -> int:
    """Count Invited people whose invitation has gone out, for "Remind all (N)"."""
    qs = people if people is not None else Person.objects.all()
    return (
        qs.filter(status=Person.Status.INVITED)
        .filter(
            Exists(Invitation.objects.filter(person=OuterRef("pk"), status=Invitation.Status.SENT))
        )
        .count()
    )
