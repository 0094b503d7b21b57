"""Plan a source's groups: compare the groups read from the provider with the Roster
groups this source brought in, and say what to create, rename, delete and whose
membership changes.

Members are the people this source brought in, found by the provider's id of
each (``SourceLink.external_key``); Google's EXTERNAL members join when a person
with that email is in Roster, and a CUSTOMER member stands for everyone this
source brought in. Anyone else is skipped and counted in the warnings. A
group the provider deleted or the scope no longer covers is deleted from
Roster. The same planner runs for the preview (``pending`` names people the
run is about to bring in) and again when the run is applied, against what
Roster holds then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Lower

from accounts.models import Group, GroupMembership, Person
from provisioning.idp.group_models import SourceGroup
from provisioning.idp.groups import DirectoryGroup
from provisioning.idp.models import IdentitySource, SourceLink

NEW, RENAME, UPDATE, MEMBERS, UNCHANGED, DELETE, SKIP = (
    "new",
    "rename",
    "update",
    "members",
    "unchanged",
    "delete",
    "skip",
)


@dataclass
class GroupStep:
    """What happens to one group."""

    action: str
    key: str
    name: str
    description: str = ""
    group: Group | None = None
    old_name: str = ""
    member_ids: set[int] = field(default_factory=set)
    joins: int = 0
    leaves: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "name": self.name,
            "old_name": self.old_name,
            "joins": self.joins,
            "leaves": self.leaves,
        }


@dataclass
class GroupPlan:
    """Every group's step, the warnings, and the figures a run shows."""

    steps: list[GroupStep] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    skipped_members: int = 0

    def count(self, *actions: str) -> int:
        return sum(1 for s in self.steps if s.action in actions)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "count_groups_new": self.count(NEW),
            "count_groups_renamed": self.count(RENAME),
            "count_groups_deleted": self.count(DELETE),
            "count_groups_unchanged": self.count(UNCHANGED),
            "count_group_joins": sum(s.joins for s in self.steps),
            "count_group_leaves": sum(s.leaves for s in self.steps),
            "count_group_skipped": self.skipped_members,
        }

    @property
    def changes(self) -> list[GroupStep]:
        return [s for s in self.steps if s.action not in (UNCHANGED, SKIP)]


class _People:
    """Who the provider's member references are in Roster."""

    def __init__(self, source: IdentitySource, groups: Mapping[str, DirectoryGroup]) -> None:
        self.by_key: dict[str, int] = {}
        self.everyone: set[int] = set()
        for key, pid in SourceLink.objects.filter(source=source).values_list(
            "external_key", "person_id"
        ):
            self.everyone.add(pid)
            if key:
                self.by_key[key] = pid
        emails = {e for g in groups.values() for e in g.external_emails}
        self.by_email: dict[str, int] = {}
        if emails:
            rows = (
                Person.objects.annotate(lower=Lower("email"))
                .filter(lower__in=emails)
                .values_list("lower", "pk")
            )
            self.by_email = dict(rows)


def plan_groups(
    source: IdentitySource,
    groups: Mapping[str, DirectoryGroup],
    *,
    pending: Collection[str] = (),
) -> GroupPlan:
    """Plan the source's groups against ``groups`` (every group in scope, as read).

    ``pending``: provider ids of people the run will bring in or link, counted
    as joining (they have no Roster id yet). Reads only.
    """
    plan = GroupPlan()
    people = _People(source, groups)
    pending_set = set(pending) - set(people.by_key)
    links = {
        link.external_key: link.group
        for link in SourceGroup.objects.filter(source=source).select_related("group")
    }
    current: dict[int, set[int]] = {}
    for gid, pid in GroupMembership.objects.filter(
        group__in=[g.pk for g in links.values()]
    ).values_list("group_id", "person_id"):
        current.setdefault(gid, set()).add(pid)
    mine = {g.pk for g in links.values()}
    taken = {
        name.casefold(): pk
        for pk, name in Group.objects.exclude(pk__in=mine).values_list("pk", "name")
    }
    foreign_ids = set(
        Group.objects.exclude(pk__in=mine)
        .filter(external_id__in=list(groups))
        .values_list("external_id", flat=True)
    )
    staying = {links[k].name.casefold() for k in links if k in groups}
    names: dict[str, str] = {}
    if source.group_scope == IdentitySource.GroupScope.CHOSEN:
        for key in sorted(set(source.group_keys or ()) - set(groups)):
            plan.warnings.append(
                {"group": key, "message": "Chosen, but the provider has no group with this id."}
            )
    for key in sorted(links):
        if key not in groups:
            gone = links[key]
            leaves = len(current.get(gone.pk, ()))
            plan.steps.append(GroupStep(DELETE, key, gone.name, group=gone, leaves=leaves))
    for key in sorted(groups, key=lambda k: (groups[k].name.casefold(), k)):
        read = groups[key]
        name = read.name.strip()[:200] or key
        group = links.get(key)
        folded = name.casefold()
        clash = (
            folded in taken
            or folded in names
            or (folded in staying and (group is None or group.name.casefold() != folded))
        )
        if group is None and (clash or key in foreign_ids):
            why = (
                "another Roster group has this external ID"
                if key in foreign_ids
                else f"a group named “{name}” already exists in Roster"
            )
            plan.warnings.append({"group": name, "message": f"Not brought in: {why}."})
            plan.steps.append(GroupStep(SKIP, key, name))
            continue
        if group is not None and clash and group.name.casefold() != folded:
            plan.warnings.append(
                {
                    "group": name,
                    "message": f"Kept the name “{group.name}”: a group named “{name}” "
                    "already exists in Roster.",
                }
            )
            name = group.name
        names[name.casefold()] = key
        ids, skipped = _members(read, people, pending_set)
        plan.skipped_members += skipped
        _warn(plan, name, read, skipped)
        step = GroupStep(UNCHANGED, key, name, read.description.strip(), group=group)
        step.member_ids = ids
        planned = len((read.members & pending_set) | (pending_set if read.everyone else set()))
        if group is None:
            step.action, step.joins = NEW, len(ids) + planned
            plan.steps.append(step)
            continue
        if group.is_rule_based:
            plan.warnings.append(
                {"group": name, "message": "Made rule-based in Roster: members left alone."}
            )
            step.action = SKIP
            plan.steps.append(step)
            continue
        have = current.get(group.pk, set())
        step.joins = len(ids - have) + planned
        step.leaves = len(have - ids)
        if group.name != name:
            step.action, step.old_name = RENAME, group.name
        elif group.description != step.description:
            step.action = UPDATE
        elif step.joins or step.leaves:
            step.action = MEMBERS
        plan.steps.append(step)
    return plan


def _members(read: DirectoryGroup, people: _People, pending: set[str]) -> tuple[set[int], int]:
    ids = {people.by_key[k] for k in read.members if k in people.by_key}
    skipped = len([k for k in read.members if k not in people.by_key and k not in pending])
    for email in read.external_emails:
        if email in people.by_email:
            ids.add(people.by_email[email])
        else:
            skipped += 1
    if read.everyone:
        ids |= people.everyone
    return ids, skipped


def _warn(plan: GroupPlan, name: str, read: DirectoryGroup, skipped: int) -> None:
    notes = []
    if skipped:
        notes.append(f"{skipped} member(s) not in Roster from this source, skipped")
    if read.nested:
        notes.append(f"{len(read.nested)} nested group(s) not expanded")
    if notes:
        plan.warnings.append({"group": name, "message": "; ".join(notes) + "."})


__all__ = ["GroupPlan", "GroupStep", "plan_groups", "run_fields"]


def run_fields(
    source: IdentitySource, groups: Mapping[str, DirectoryGroup], *, pending: Collection[str]
) -> dict[str, Any]:
    """The run's group figures, preview list and warnings, as ``SyncRun`` fields."""
    plan = plan_groups(source, groups, pending=pending)
    return {
        **plan.counts,
        "group_changes": [s.to_json() for s in plan.changes[:200]],
        "group_warnings": plan.warnings[:200],
    }
