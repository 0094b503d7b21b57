"""Every write to a group: validated, role-checked, audited, published.

Membership changes write one audit row per person who joined or left (on
their own history) and bump the group's ``version``; the group's own
changes are audited as a setting (``subject_kind`` group). After commit,
``accounts.groups.signals.groups_changed`` carries the changed ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import record_setting_event, setting_changes
from accounts.groups import rules
from accounts.groups.exceptions import InvalidGroup, MembersAreComputed, UnknownMembers
from accounts.groups.signals import groups_changed
from accounts.models import Group, GroupMembership, LifecycleEvent, Person
from accounts.services import Actorish, record_events_bulk, require

RULES_ACTOR = Actor(kind="system", label="Group rules")
_UNSET: Any = object()
GROUP = LifecycleEvent.SubjectKind.GROUP


@dataclass
class MembershipChange:
    """Who joined and who left one group, by person id."""

    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def _publish(group_ids: Iterable[int], action: str) -> None:
    ids = list(group_ids)
    if ids:
        transaction.on_commit(
            partial(groups_changed.send, sender=Group, group_ids=ids, action=action)
        )


def _clean(
    *, name: str, external_id: str | None, instance: Group | None = None
) -> tuple[str, str | None]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    external_id = (external_id or "").strip() or None
    others = Group.objects.exclude(pk=instance.pk) if instance else Group.objects.all()
    if not name:
        errors["name"] = "A group needs a name."
    elif len(name) > 200:
        errors["name"] = "A group name has at most 200 characters."
    elif others.filter(name__iexact=name).exists():
        errors["name"] = f'A group named "{name}" already exists (names ignore case).'
    if external_id and len(external_id) > 255:
        errors["external_id"] = "An external ID has at most 255 characters."
    elif external_id and others.filter(external_id=external_id).exists():
        errors["external_id"] = "Another group already has this external ID."
    if errors:
        raise InvalidGroup(errors)
    return name, external_id


def _save(group: Group, **kwargs: Any) -> None:
    # The constraint decides a race the check above lost.
    try:
        with transaction.atomic():
            group.save(**kwargs)
    except IntegrityError as exc:
        if "name" in str(exc):
            raise InvalidGroup({"name": f'A group named "{group.name}" already exists.'}) from exc
        if "external_id" in str(exc):
            raise InvalidGroup({"external_id": "Another group already has this ID."}) from exc
        raise


def _snapshot(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "description": group.description,
        "external_id": group.external_id,
        "kind": group.kind,
        "rule": rules.describe_rule(group.rule) if group.rule else "",
    }


@transaction.atomic
def create_group(
    *,
    name: str,
    by: Actorish,
    description: str = "",
    external_id: str | None = None,
    source: str = Group.Source.MANUAL,
    kind: str = Group.Kind.STATIC,
    rule: dict[str, Any] | None = None,
    member_ids: Iterable[Any] = (),
) -> Group:
    """Create a group (a rule-based one gets its members at once); audit and publish.

    Raises InvalidGroup, InvalidRule, UnknownMembers or NotAllowed; then
    nothing is created.
    """
    require(by, "accounts.add_group")
    name, external_id = _clean(name=name, external_id=external_id)
    if kind not in Group.Kind.values:
        raise InvalidGroup({"kind": f"Unknown kind {kind!r}: use static or rule."})
    clean_rule: dict[str, Any] = {}
    if kind == Group.Kind.RULE:
        clean_rule = rules.validate_rule(rule)
    elif rule:
        raise InvalidGroup({"rule": "Only a rule-based group has a rule."})
    ids = list(member_ids)
    if ids and kind == Group.Kind.RULE:
        raise MembersAreComputed("A rule-based group's members come from its rule.")
    member_pks = _existing_ids(ids)
    group = Group(
        name=name,
        description=(description or "").strip(),
        external_id=external_id,
        source=source,
        kind=kind,
        rule=clean_rule,
    )
    _save(group, force_insert=True)
    record_setting_event(
        GROUP,
        name,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes=setting_changes(None, _snapshot(group)),
    )
    if kind == Group.Kind.RULE:
        _recompute(group, person_ids=None, by=by)
    elif member_pks:
        _change_members(group, add=member_pks, remove=[], by=by)
    _publish([group.pk], "created")
    group.refresh_from_db(fields=["version", "updated_at"])
    return group


def lock_group(group: Group) -> Group:
    """Return ``group`` re-read and locked until the transaction ends."""
    return Group.objects.select_for_update().get(pk=group.pk)


@transaction.atomic
def update_group(
    group: Group,
    *,
    by: Actorish,
    name: str = _UNSET,
    description: str = _UNSET,
    external_id: str | None = _UNSET,
    kind: str = _UNSET,
    rule: dict[str, Any] | None = _UNSET,
) -> Group:
    """Change a group's attributes or rule; a new rule recomputes its members at once.

    Turning a rule-based group static keeps its current members. Raises
    InvalidGroup, InvalidRule or NotAllowed; then nothing changes.
    """
    require(by, "accounts.change_group")
    group = lock_group(group)
    before = _snapshot(group)
    new_name, new_external_id = _clean(
        name=group.name if name is _UNSET else name,
        external_id=group.external_id if external_id is _UNSET else external_id,
        instance=group,
    )
    new_kind = group.kind if kind is _UNSET else kind
    if new_kind not in Group.Kind.values:
        raise InvalidGroup({"kind": f"Unknown kind {new_kind!r}: use static or rule."})
    if new_kind == Group.Kind.RULE:
        new_rule = rules.validate_rule(group.rule if rule is _UNSET else rule)
    else:
        new_rule = {}
    group.name, group.external_id, group.kind, group.rule = (
        new_name,
        new_external_id,
        new_kind,
        new_rule,
    )
    if description is not _UNSET:
        group.description = (description or "").strip()
    changes = setting_changes(before, _snapshot(group))
    if not changes:
        return group
    group.version = F("version") + 1
    _save(
        group,
        update_fields=[
            "name",
            "description",
            "external_id",
            "kind",
            "rule",
            "version",
            "updated_at",
        ],
    )
    group.refresh_from_db(fields=["version"])
    record_setting_event(GROUP, group.name, LifecycleEvent.Action.UPDATED, by=by, changes=changes)
    if group.is_rule_based:
        _recompute(group, person_ids=None, by=by)
    _publish([group.pk], "updated")
    group.refresh_from_db(fields=["version", "updated_at"])
    return group


@transaction.atomic
def delete_group(group: Group, *, by: Actorish) -> None:
    """Delete a group and its memberships (people stay); audit and publish."""
    require(by, "accounts.delete_group")
    group = lock_group(group)
    count = group.memberships.count()
    pk = group.pk
    record_setting_event(
        GROUP, group.name, LifecycleEvent.Action.DELETED, by=by, changes={"members": [count, 0]}
    )
    group.delete()
    _publish([pk], "deleted")


# People whose names one query reads, for audit rows of membership changes.
NAMES_CHUNK = 10_000


def _existing_ids(ids: Iterable[Any]) -> list[int]:
    wanted: list[int] = []
    bad: list[str] = []
    for value in ids:
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            bad.append(repr(value) if not isinstance(value, str) else value)
    found = set(Person.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    bad += [str(pk) for pk in dict.fromkeys(wanted) if pk not in found]
    if bad:
        raise UnknownMembers(bad)
    return list(dict.fromkeys(wanted))


def _require_static(group: Group) -> None:
    if group.is_rule_based:
        raise MembersAreComputed(
            f'"{group.name}" is rule-based: its members come from its rule. '
            "Change the rule, or make the group static."
        )
    if group.is_provider_owned:
        raise MembersAreComputed(
            f'"{group.name}" comes from {group.members_come_from}: its members follow '
            "the identity provider, and each sync replaces them. Change them there."
        )


@transaction.atomic
def add_members(group: Group, person_ids: Iterable[Any], *, by: Actorish) -> MembershipChange:
    """Add people to a static group; those already in it are left alone.

    Deactivated people may be added (targets receive them as inactive).
    Raises UnknownMembers (naming every unknown id), MembersAreComputed or
    NotAllowed; then nobody is added.
    """
    require(by, "accounts.change_group")
    group = lock_group(group)
    _require_static(group)
    ids = _existing_ids(person_ids)
    current = set(group.memberships.filter(person_id__in=ids).values_list("person_id", flat=True))
    return _change_members(group, add=[pk for pk in ids if pk not in current], remove=[], by=by)


@transaction.atomic
def remove_members(group: Group, person_ids: Iterable[Any], *, by: Actorish) -> MembershipChange:
    """Remove people from a static group; ids not in it are ignored (as SCIM asks)."""
    require(by, "accounts.change_group")
    group = lock_group(group)
    _require_static(group)
    ids = [int(v) for v in person_ids if str(v).isdigit()]
    current = list(group.memberships.filter(person_id__in=ids).values_list("person_id", flat=True))
    return _change_members(group, add=[], remove=current, by=by)


@transaction.atomic
def set_members(group: Group, person_ids: Iterable[Any], *, by: Actorish) -> MembershipChange:
    """Make a static group's members exactly these people (a SCIM replace or PUT).

    Raises UnknownMembers, MembersAreComputed or NotAllowed; then nothing changes.
    """
    require(by, "accounts.change_group")
    group = lock_group(group)
    _require_static(group)
    ids = set(_existing_ids(person_ids))
    current = set(group.memberships.values_list("person_id", flat=True))
    return _change_members(group, add=sorted(ids - current), remove=sorted(current - ids), by=by)


def _change_members(
    group: Group, *, add: list[int], remove: list[int], by: Actorish
) -> MembershipChange:
    change = MembershipChange(added=add, removed=remove)
    write_membership_changes({group.pk: group}, {group.pk: change}, by=by)
    return change


def _recompute(group: Group, *, person_ids: list[int] | None, by: Actorish) -> MembershipChange:
    # Two set-based queries: who matches and is not in, who is in and no
    # longer matches. Limited to the changed people unless the rule follows
    # a reporting line (then a change to anyone above can move people below).
    matching = Person.objects.filter(rules.rule_q(group.rule))
    members = Person.objects.filter(memberships__group=group)
    if person_ids is not None and not rules.uses_reporting_line(group.rule):
        matching = matching.filter(pk__in=person_ids)
        members = members.filter(pk__in=person_ids)
    joining = list(
        matching.exclude(memberships__group=group).order_by().values_list("pk", flat=True)
    )
    leaving = list(
        members.exclude(pk__in=matching.values("pk")).order_by().values_list("pk", flat=True)
    )
    return _change_members(group, add=joining, remove=leaving, by=by)


@transaction.atomic
def recompute_groups(
    *, person_ids: Iterable[int] | None = None, by: Actorish = RULES_ACTOR
) -> dict[int, MembershipChange]:
    """Bring every rule-based group's members in line with its rule.

    With ``person_ids``, only those people are reconsidered (what changed):
    they are read once and every rule without a reporting line is evaluated
    in memory (``rules.matches``), then all joins and leaves are written in
    bulk. Without, everyone, group by group in SQL. Idempotent: a second run
    changes nothing. Returns the changes by group id (unchanged groups left out).
    """
    # Locked in id order, so two recomputes queue rather than interleave.
    groups = list(Group.objects.select_for_update().filter(kind=Group.Kind.RULE).order_by("pk"))
    if person_ids is None:
        changes = {g.pk: _recompute(g, person_ids=None, by=by) for g in groups}
        return {pk: c for pk, c in changes.items() if c}
    ids = list(dict.fromkeys(person_ids))
    fields = [*rules.MATCH_FIELDS, *(["start_date"] if "start_date" in rules.attributes() else [])]
    people = list(Person.objects.filter(pk__in=ids).values(*fields))
    current: dict[int, set[int]] = {}
    for group_id, pk in GroupMembership.objects.filter(
        person_id__in=ids, group__kind=Group.Kind.RULE
    ).values_list("group_id", "person_id"):
        current.setdefault(group_id, set()).add(pk)
    out: dict[int, MembershipChange] = {}
    for group in groups:
        if rules.uses_reporting_line(group.rule):
            change = _recompute(group, person_ids=ids, by=by)
        else:
            matched = {p["pk"] for p in people if rules.matches(group.rule, p)}
            members = current.get(group.pk, set())
            change = MembershipChange(sorted(matched - members), sorted(members - matched))
            if change:
                out[group.pk] = change
            continue
        if change:
            out[group.pk] = change
    write_membership_changes(
        {g.pk: g for g in groups},
        {pk: c for pk, c in out.items() if not rules.uses_reporting_line(_rule_of(groups, pk))},
        names={p["pk"]: p["full_name"] for p in people},
        by=by,
    )
    return out


def _rule_of(groups: list[Group], pk: int) -> dict[str, Any]:
    return next(g.rule for g in groups if g.pk == pk)


def write_membership_changes(
    groups: dict[int, Group],
    changes: dict[int, MembershipChange],
    *,
    by: Actorish,
    names: dict[int, str] | None = None,
    writer: Any = None,
) -> None:
    """Write the joins and leaves of many groups in a few statements.

    One audit row per person and group (``names``: their full names, read
    here when not given; ``writer`` writes the rows, see
    record_events_bulk), each changed group's ``version`` bumped, and
    ``groups_changed`` sent after commit. Empty changes are left out.
    """
    changes = {gid: change for gid, change in changes.items() if change}
    if not changes:
        return
    if names is None:
        names = _full_names({pk for c in changes.values() for pk in c.added + c.removed})
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(group_id=gid, person_id=pk)
            for gid, change in changes.items()
            for pk in change.added
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    removals = Q()
    for gid, change in changes.items():
        if change.removed:
            removals |= Q(group_id=gid, person_id__in=change.removed)
    if removals:
        GroupMembership.objects.filter(removals).delete()
    joined, left = LifecycleEvent.Action.JOINED_GROUP, LifecycleEvent.Action.LEFT_GROUP
    record_events_bulk(
        [
            (pk, joined, names.get(pk, ""), {"group": [None, groups[gid].name]})
            for gid, change in changes.items()
            for pk in change.added
        ]
        + [
            (pk, left, names.get(pk, ""), {"group": [groups[gid].name, None]})
            for gid, change in changes.items()
            for pk in change.removed
        ],
        by=by,
        batch_size=5000,
        writer=writer,
    )
    Group.objects.filter(pk__in=list(changes)).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    _publish(list(changes), "members")


def _full_names(ids: Iterable[int]) -> dict[int, str]:
    ordered = sorted(ids)
    names: dict[int, str] = {}
    for start in range(0, len(ordered), NAMES_CHUNK):
        names.update(
            Person.objects.filter(pk__in=ordered[start : start + NAMES_CHUNK]).values_list(
                "pk", "full_name"
            )
        )
    return names


@transaction.atomic
def recompute_group(group: Group, *, by: Actorish = RULES_ACTOR) -> MembershipChange:
    """Bring one rule-based group's members in line with its rule (everyone considered)."""
    group = lock_group(group)
    if not group.is_rule_based:
        return MembershipChange()
    return _recompute(group, person_ids=None, by=by)


__all__ = [
    "RULES_ACTOR",
    "MembershipChange",
    "add_members",
    "create_group",
    "delete_group",
    "lock_group",
    "recompute_group",
    "recompute_groups",
    "remove_members",
    "set_members",
    "update_group",
]
