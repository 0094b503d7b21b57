"""Claiming an account through an invitation link."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.exceptions import InvalidPerson
from accounts.invitations.queueing import cancel_queued
from accounts.invitations.selectors import check_claimable, find_invitation_for_token
from accounts.models import Invitation, LifecycleEvent, Person
from accounts.services import publish, record_event


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
    cancel_queued(Invitation.objects.filter(pk=invitation.pk), "The account was claimed.", now)
    _verify_email(person)
    record_event(person, LifecycleEvent.Action.CLAIMED, by=person, changes=changes)
    publish([person.pk], LifecycleEvent.Action.CLAIMED)
    return person


def mark_invitation_opened(invitation: Invitation) -> bool:
    """Stamp the first time ``invitation``'s claim page was opened; return whether this did.

    A conditional update, so that concurrent or repeated opens stamp it once.
    Nothing is audited: opening a page changes no account.
    """
    if invitation.opened_at is not None:
        return False
    return bool(
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    )
