"""A person's emails as SCIM sees them, and who a SCIM DELETE took away.

Roster keeps one email per person. An identity provider may send several
(``emails`` with types and a primary flag): Roster's email is the primary
one, else the work one, else the first, and the list is kept as sent so
that a GET answers what the provider wrote. When the email changes in
Roster (the admin panel, an import), the list no longer holds it and the
SCIM server answers the one email instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Person
from provisioning.scim_server.models import ScimUserState


def pick_email(emails: list[dict[str, Any]] | None) -> str | None:
    """Return the email Roster keeps from ``emails``: primary, else work, else the first."""
    usable = [e for e in emails or [] if isinstance(e.get("value"), str) and e["value"].strip()]
    if not usable:
        return None
    primary = [e for e in usable if e.get("primary") is True]
    work = [e for e in usable if str(e.get("type") or "").lower() == "work"]
    return str((primary or work or usable)[0]["value"]).strip()


def is_email_shaped(text: str | None) -> bool:
    if not text:
        return False
    try:
        validate_email(text.strip())
    except ValidationError:
        return False
    return True


def _state(person: Person) -> ScimUserState | None:
    try:
        return person.scim_server_state
    except ObjectDoesNotExist:
        return None


def emails_of(person: Person) -> list[dict[str, Any]]:
    """Return ``emails`` for the person's SCIM document."""
    state = _state(person)
    if state is not None and state.emails:
        chosen = pick_email(state.emails)
        if chosen is not None and chosen.lower() == person.email.lower():
            return [dict(e) for e in state.emails]
    return [{"value": person.email, "type": "work", "primary": True}]


def keep_emails(person: Person, emails: list[dict[str, Any]] | None) -> None:
    """Store ``emails`` as the provider sent them (none: forget the list)."""
    ScimUserState.objects.update_or_create(person=person, defaults={"emails": emails or []})
    # The instance may hold the row as it was; the response must read the new one.
    person._state.fields_cache.pop("scim_server_state", None)


def mark_deleted(person: Person) -> None:
    """Record that a SCIM DELETE deactivated ``person``: the server hides them from now on."""
    ScimUserState.objects.update_or_create(person=person, defaults={"deleted_at": timezone.now()})


def without_deleted(people: QuerySet[Person]) -> QuerySet[Person]:
    """Leave out people a SCIM DELETE deactivated and who are still deactivated.

    A DELETE is recorded after the deactivation it caused; a later
    deactivation (PATCH active=false after an admin reactivated them) is
    newer than the DELETE, so that person is shown again.
    """
    deleted = ScimUserState.objects.filter(
        person=OuterRef("pk"), deleted_at__gte=OuterRef("deactivated_at")
    )
    return people.exclude(Q(status=Person.Status.DEACTIVATED) & Exists(deleted))
