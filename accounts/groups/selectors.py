"""Reads of groups shared by the admin, the API and the SCIM server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.groups import rules
from accounts.models import Group, Person

PREVIEW_SAMPLE = 10


def list_groups(*, search: str = "") -> QuerySet[Group]:
    """Return groups by name, each with ``member_count``; ``search`` matches name or ID."""
    groups = Group.objects.annotate(member_count=Count("memberships"))
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(external_id=search))
    return groups.order_by("name", "pk")


def list_members(group: Group, *, search: str = "") -> QuerySet[Person]:
    """Return ``group``'s members by name; ``search`` matches name or email."""
    people = Person.objects.filter(memberships__group=group)
    if search:
        people = people.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
    return people.order_by("full_name", "pk")


def list_groups_of(person: Person) -> QuerySet[Group]:
    """Return the groups ``person`` belongs to, by name."""
    return Group.objects.filter(memberships__person=person).order_by("name", "pk")


@dataclass(frozen=True)
class RulePreview:
    """What a rule would select, and how a group's members would change."""

    matching: int
    joining: int
    leaving: int
    joining_sample: list[Person]
    leaving_sample: list[Person]


def preview_rule(rule: Any, *, group: Group | None = None) -> RulePreview:
    """Return who ``rule`` selects and, for ``group``, who would join and leave.

    Raises InvalidRule for a rule that would be refused on save.
    """
    clean = rules.validate_rule(rule)
    matching = Person.objects.filter(rules.rule_q(clean))
    if group is not None and group.pk:
        joining = matching.exclude(memberships__group=group)
        leaving = Person.objects.filter(memberships__group=group).exclude(
            pk__in=matching.values("pk")
        )
    else:
        joining, leaving = matching, Person.objects.none()
    return RulePreview(
        matching=matching.count(),
        joining=joining.count(),
        leaving=leaving.count(),
        joining_sample=list(joining.order_by("full_name", "pk")[:PREVIEW_SAMPLE]),
        leaving_sample=list(leaving.order_by("full_name", "pk")[:PREVIEW_SAMPLE]),
    )
