"""The outbox: which people a target covers, and which of its links need a request.

A link (person, target) is *pending* when the person's ``version`` is ahead of
the link's ``synced_version``, when the person was deleted (the link's person
became null), when the person left the target's scope while still active
there, or when a manager reference could not be set earlier and the manager
now exists remotely.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import Person
from provisioning.scim.models import ScimLink, ScimTarget

# --- scope ------------------------------------------------------------------


def scope_q(target: ScimTarget, prefix: str = "") -> Q:
    """Return the filter selecting the people in the target's scope."""
    q = Q()
    for name, values in (
        ("department", target.scope_departments),
        ("location", target.scope_locations),
        ("status", target.scope_statuses),
        ("source", target.scope_sources),
    ):
        if values:
            q &= Q(**{f"{prefix}{name}__in": values})
    return q


def has_scope(target: ScimTarget) -> bool:
    return bool(
        target.scope_departments
        or target.scope_locations
        or target.scope_statuses
        or target.scope_sources
    )


def in_scope(target: ScimTarget, values: dict[str, Any]) -> bool:
    """Tell whether a person (as a dict of fields) is in the target's scope."""
    return all(
        not allowed or values.get(name) in allowed
        for name, allowed in (
            ("department", target.scope_departments),
            ("location", target.scope_locations),
            ("status", target.scope_statuses),
            ("source", target.scope_sources),
        )
    )


def people_in_scope(target: ScimTarget) -> QuerySet[Person]:
    return Person.objects.filter(scope_q(target))


# --- pending ----------------------------------------------------------------


def pending_q(target: ScimTarget) -> Q:
    """Return the filter selecting the target's links that need a request."""
    changed = Q(person__isnull=False, synced_version__lt=F("person__version")) & (
        Q(failed_version__isnull=True) | ~Q(failed_version=F("person__version"))
    )
    # django-stubs types ``Q & Exists`` as Combinable; Django returns a Q.
    manager_ready: Q = Q(needs_manager=True) & Exists(  # type: ignore[assignment]
        ScimLink.objects.filter(
            target_id=target.pk,
            person_id=OuterRef("person__manager_id"),
            remote_id__isnull=False,
        )
    )
    q = changed | Q(person__isnull=True) | manager_ready
    if has_scope(target):
        left_scope = Q(person__isnull=False, remote_id__isnull=False) & ~scope_q(target, "person__")
        if target.deactivation == ScimTarget.Deactivation.PATCH:
            left_scope &= Q(snapshot__active=True)
        q |= left_scope
    return q


def pending_links(target: ScimTarget) -> QuerySet[ScimLink]:
    return ScimLink.objects.filter(target=target).filter(pending_q(target))


def ensure_links(target: ScimTarget) -> int:
    """Create the missing links of people in scope (never pushed yet); return how many."""
    missing = (
        people_in_scope(target)
        .exclude(Exists(ScimLink.objects.filter(target=target, person_ref=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    rows = [ScimLink(target=target, person_id=pk, person_ref=pk) for pk in missing.iterator()]
    ScimLink.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)
