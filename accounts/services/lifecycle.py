"""Lifecycle transitions: deactivating, reactivating and deleting people.

One person at a time, in bulk (each person in their own savepoint, refusals
reported), and as the column values set-based imports write for the same
transitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.exceptions import CannotDeleteClaimed, IllegalTransition, StaffProtected
from accounts.models import ApiToken, LifecycleEvent, Person, new_security_stamp
from accounts.services.events import publish, record_event
from accounts.services.people import lock_person, update_person
from accounts.services.permissions import Actorish, require, require_may_change
from accounts.signals import person_deactivating


@transaction.atomic
def deactivate_person(person: Person, *, by: Actorish, reason: str = "") -> Person:
    """Deactivate a person: end their sessions and publish the change.

    Raises IllegalTransition if already deactivated, NotAllowed for the wrong role.
    """
    require(by, "accounts.deactivate_person")
    person = lock_person(person)
    if person.status == Person.Status.DEACTIVATED:
        raise IllegalTransition(f"{person} is already deactivated.")
    if isinstance(by, Person) and by.pk == person.pk:
        raise IllegalTransition("You cannot deactivate your own account.")
    require_may_change(person, by=by)
    before = person.status
    person.status = Person.Status.DEACTIVATED
    person.is_active = False
    person.deactivated_at = timezone.now()
    person.security_stamp = new_security_stamp()
    person.version += 1
    person.save(
        update_fields=[
            "status",
            "is_active",
            "deactivated_at",
            "security_stamp",
            "version",
            "updated_at",
        ]
    )
    person_deactivating.send(sender=Person, person=person)
    changes: dict[str, list[Any]] = {"status": [before, person.status]}
    revoked = revoke_api_tokens_of([person.pk], now=person.deactivated_at)
    if revoked:
        changes["api_tokens"] = [f"{revoked} active", "revoked"]
    record_event(
        person,
        LifecycleEvent.Action.DEACTIVATED,
        by=by,
        changes=changes,
        reason=reason,
    )
    publish([person.pk], LifecycleEvent.Action.DEACTIVATED)
    return person


@transaction.atomic
def reactivate_person(person: Person, *, by: Actorish, reason: str = "") -> Person:
    """Bring back a deactivated person: Active if they had claimed, else Awaiting invitation.

    Raises IllegalTransition unless the person is deactivated.
    """
    require(by, "accounts.deactivate_person")
    person = lock_person(person)
    if person.status != Person.Status.DEACTIVATED:
        raise IllegalTransition(f"{person} is not deactivated.")
    require_may_change(person, by=by)
    person.status = Person.Status.ACTIVE if person.has_claimed else Person.Status.STAGED
    person.is_active = person.status == Person.Status.ACTIVE
    person.deactivated_at = None
    person.version += 1
    person.save(update_fields=["status", "is_active", "deactivated_at", "version", "updated_at"])
    record_event(
        person,
        LifecycleEvent.Action.REACTIVATED,
        by=by,
        changes={"status": [Person.Status.DEACTIVATED.value, person.status]},
        reason=reason,
    )
    publish([person.pk], LifecycleEvent.Action.REACTIVATED)
    return person


@transaction.atomic
def delete_person(person: Person, *, by: Actorish, reason: str = "") -> int:
    """Delete a person who never claimed an account; return the deleted id.

    Their direct reports lose their manager (audited as updates), earlier
    audit rows about them are stripped of personal data, and a tombstone event
    remains. Raises CannotDeleteClaimed for anyone who has claimed.
    """
    require(by, "accounts.delete_person")
    person = lock_person(person)
    require_may_change(person, by=by)
    if person.has_claimed:
        raise CannotDeleteClaimed(
            f"{person} has claimed their account, so it cannot be deleted. Deactivate it instead."
        )
    for report in Person.objects.filter(manager=person).order_by("pk"):
        update_person(report, by=by, manager=None)
    pk = person.pk
    tombstone = f"Deleted person #{pk}"
    LifecycleEvent.objects.filter(person_ref=pk).update(subject=tombstone, changes={})
    person.delete()
    record_event(
        None,
        LifecycleEvent.Action.DELETED,
        by=by,
        reason=reason,
        subject=tombstone,
        person_ref=pk,
    )
    publish([pk], LifecycleEvent.Action.DELETED)
    return pk


# --- in bulk ----------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk action did: people changed, and those skipped with why."""

    done: list[Person] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)


def _bulk(
    people: Iterable[Person], service: Callable[..., Any], *, by: Actorish, **kwargs: Any
) -> BulkResult:
    result = BulkResult()
    with transaction.atomic():
        for person in people:
            try:
                with transaction.atomic():
                    outcome = service(person, by=by, **kwargs)
            except (IllegalTransition, CannotDeleteClaimed, StaffProtected) as exc:
                result.skipped.append((person, exc.message))
            else:
                result.done.append(outcome if isinstance(outcome, Person) else person)
    return result


def deactivate_people(people: Iterable[Person], *, by: Actorish, reason: str = "") -> BulkResult:
    """Deactivate each person who can be; report the rest. Raises NotAllowed up front."""
    require(by, "accounts.deactivate_person")
    return _bulk(people, deactivate_person, by=by, reason=reason)


def reactivate_people(people: Iterable[Person], *, by: Actorish) -> BulkResult:
    """Reactivate each deactivated person; report the rest. Raises NotAllowed up front."""
    require(by, "accounts.deactivate_person")
    return _bulk(people, reactivate_person, by=by)


def delete_people(people: Iterable[Person], *, by: Actorish) -> BulkResult:
    """Delete each never-claimed person; report those who claimed. Raises NotAllowed."""
    require(by, "accounts.delete_person")
    return _bulk(people, delete_person, by=by)


# --- the same transitions, set-based (spreadsheet imports, directory syncs) --


def deactivated_values(*, now: Any) -> dict[str, Any]:
    """Return the column values deactivate_person writes (sessions end via the stamp)."""
    return {
        "status": Person.Status.DEACTIVATED,
        "is_active": False,
        "deactivated_at": now,
        "security_stamp": new_security_stamp(),
    }


def reactivated_values(*, has_claimed: bool) -> dict[str, Any]:
    """Return the column values reactivate_person writes."""
    status = Person.Status.ACTIVE if has_claimed else Person.Status.STAGED
    return {"status": status, "is_active": status == Person.Status.ACTIVE, "deactivated_at": None}


def revoke_api_tokens_of(person_ids: Iterable[int], *, now: Any) -> int:
    """Revoke the live API tokens of these people (deactivation); return how many.

    A later reactivation does not bring them back: the person needs new ones.
    """
    return ApiToken.objects.filter(person_id__in=list(person_ids), revoked_at__isnull=True).update(
        revoked_at=now
    )
