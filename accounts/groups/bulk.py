"""Memberships listed by name for many people at once (a spreadsheet's Groups column).

Each person comes with the names of the groups they belong to. Names match
existing groups case-insensitively; a name no group has becomes a new static
group of the given source. Rule-based groups are never changed: their
members come from their rule, and the person gets a warning instead. With
``remove_unlisted``, a person also leaves the static groups of that source
their list no longer names (groups made by hand, by an identity provider or
by the API are left alone).

``plan_listed_memberships`` reads only (the preview); ``apply_listed_memberships``
plans again under row locks and writes, through the same bulk writes and
audit rows as the group services, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from accounts.groups import services
from accounts.groups.services import MembershipChange
from accounts.models import Group, GroupMembership
from accounts.services import Actorish, require

# (person id, or None for someone not yet in Roster; the group names listed).
Listed = tuple[int | None, Sequence[str]]
_CHUNK = 10_000


@dataclass(frozen=True)
class GroupSummary:
    """What happens to one group: whether it is new, and how many join and leave."""

    name: str
    group_id: int | None
    kind: str
    joining: int
    leaving: int

    @property
    def is_new(self) -> bool:
        return self.group_id is None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "group_id": self.group_id,
            "kind": self.kind,
            "new": self.is_new,
            "joining": self.joining,
            "leaving": self.leaving,
        }


@dataclass
class ListedPlan:
    """Per person (by position in the input): groups joined, left, and warnings."""

    joins: list[list[str]]
    leaves: list[list[str]]
    warnings: list[list[str]]
    groups: list[GroupSummary] = field(default_factory=list)

    @property
    def to_create(self) -> list[str]:
        return [g.name for g in self.groups if g.is_new]


def rule_based_warning(group: Group) -> str:
    if group.is_provider_owned:
        return (
            f"{group.name} comes from {group.members_come_from}; "
            "membership follows the identity provider."
        )
    return f"{group.name} is a rule-based group; membership comes from its rule."


def plan_listed_memberships(
    listed: Sequence[Listed],
    *,
    source: str = Group.Source.SPREADSHEET,
    remove_unlisted: bool = False,
) -> ListedPlan:
    """Return what ``listed`` would change, without writing anything."""
    return _plan(listed, source=source, remove_unlisted=remove_unlisted, lock=False)[0]


@transaction.atomic
def apply_listed_memberships(
    listed: Sequence[Listed],
    *,
    by: Actorish,
    source: str = Group.Source.SPREADSHEET,
    remove_unlisted: bool = False,
    writer: Any = None,
) -> ListedPlan:
    """Make every listed person a member of the static groups named; return what changed.

    Every person id must exist. Missing groups are created (``create_group``,
    audited). Joins and leaves are written in bulk with one audit row per
    person and group, each changed group's version goes up, and
    ``groups_changed`` is sent after commit, so SCIM targets receive them.
    Idempotent: listing the same names again changes nothing. Raises
    NotAllowed (``accounts.change_group``; ``accounts.add_group`` when a group
    is new) or InvalidGroup; then nothing is written. ``writer`` writes the
    audit rows (as for ``record_events_bulk``; an import passes COPY).
    """
    plan, groups, current = _plan(listed, source=source, remove_unlisted=remove_unlisted, lock=True)
    if not any(plan.joins) and not any(plan.leaves):
        return plan
    require(by, "accounts.change_group")
    if plan.to_create:
        require(by, "accounts.add_group")
    for name in plan.to_create:
        created = services.create_group(name=name, by=by, source=source)
        groups[name.lower()] = created
    changes: dict[int, MembershipChange] = {}
    for (pid, _), joins, leaves in zip(listed, plan.joins, plan.leaves, strict=True):
        if pid is None:
            continue
        for name in joins:
            gid = groups[name.lower()].pk
            if gid not in current.get(pid, set()):
                changes.setdefault(gid, MembershipChange()).added.append(pid)
        for name in leaves:
            changes.setdefault(groups[name.lower()].pk, MembershipChange()).removed.append(pid)
    by_id = {g.pk: g for g in groups.values()}
    services.write_membership_changes(by_id, changes, by=by, writer=writer)
    return plan


def _plan(
    listed: Sequence[Listed], *, source: str, remove_unlisted: bool, lock: bool
) -> tuple[ListedPlan, dict[str, Group], dict[int, set[int]]]:
    wanted: dict[str, str] = {}
    for _, names in listed:
        for name in names:
            wanted.setdefault(name.lower(), name)
    person_ids = sorted({pid for pid, _ in listed if pid is not None})
    query = Group.objects.annotate(lower_name=Lower("name"))
    if lock:
        query = query.select_for_update(of=("self",)).order_by("pk")
    groups: dict[str, Group] = {}
    keys = list(wanted)
    for start in range(0, len(keys), _CHUNK):
        for group in query.filter(lower_name__in=keys[start : start + _CHUNK]):
            groups[group.name.lower()] = group
    # Memberships that matter: of the groups named and, when removing, of
    # the source's static groups.
    current: dict[int, set[int]] = {}
    removable: dict[int, Group] = {}
    relevant = {g.pk for g in groups.values()}
    if remove_unlisted and person_ids:
        removable_ids: set[int] = set()
        for start in range(0, len(person_ids), _CHUNK):
            removable_ids.update(
                GroupMembership.objects.filter(
                    person_id__in=person_ids[start : start + _CHUNK],
                    group__source=source,
                    group__kind=Group.Kind.STATIC,
                ).values_list("group_id", flat=True)
            )
        for extra in query.filter(pk__in=sorted(removable_ids)):
            removable[extra.pk] = extra
            groups.setdefault(extra.name.lower(), extra)
        relevant |= set(removable)
    for start in range(0, len(person_ids), _CHUNK):
        rows = GroupMembership.objects.filter(
            person_id__in=person_ids[start : start + _CHUNK], group_id__in=relevant
        ).values_list("person_id", "group_id")
        for member, gid in rows:
            current.setdefault(member, set()).add(gid)
    joins: list[list[str]] = []
    leaves: list[list[str]] = []
    warnings: list[list[str]] = []
    joining: dict[str, int] = {}
    leaving: dict[int, int] = {}
    for pid, names in listed:
        mine = current.get(pid, set()) if pid is not None else set()
        row_joins, row_warnings, named = [], [], set()
        for name in names:
            found = groups.get(name.lower())
            if found is not None and found.members_come_from:
                row_warnings.append(rule_based_warning(found))
                continue
            if found is not None:
                named.add(found.pk)
                if found.pk in mine:
                    continue
            shown = found.name if found is not None else wanted[name.lower()]
            row_joins.append(shown)
            joining[shown.lower()] = joining.get(shown.lower(), 0) + 1
        row_leaves = sorted(
            (removable[gid].name for gid in mine if gid in removable and gid not in named),
            key=str.lower,
        )
        for gid in mine:
            if gid in removable and gid not in named:
                leaving[gid] = leaving.get(gid, 0) + 1
        joins.append(row_joins)
        leaves.append(row_leaves)
        warnings.append(row_warnings)
    summaries: dict[str, GroupSummary] = {}
    for key, name in wanted.items():
        match = groups.get(key)
        if match is not None and match.members_come_from:
            summaries[key] = GroupSummary(match.name, match.pk, match.kind, 0, 0)
            continue
        if match is None and not joining.get(key):
            continue
        summaries[key] = GroupSummary(
            match.name if match else name,
            match.pk if match else None,
            match.kind if match else Group.Kind.STATIC,
            joining.get(key, 0),
            leaving.pop(match.pk, 0) if match else 0,
        )
    for gid, count in leaving.items():
        left = removable[gid]
        summaries[left.name.lower()] = GroupSummary(left.name, gid, left.kind, 0, count)
    plan = ListedPlan(
        joins=joins,
        leaves=leaves,
        warnings=warnings,
        groups=sorted(summaries.values(), key=lambda g: g.name.lower()),
    )
    return plan, groups, current


__all__ = [
    "GroupSummary",
    "ListedPlan",
    "apply_listed_memberships",
    "plan_listed_memberships",
    "rule_based_warning",
]
