"""Groups another system owns (an identity provider): set the members of many static
groups at once, set-wise, with the same audited writes as ``set_members``.

The caller (provisioning's group sync) decides which groups exist and who
belongs, creating and renaming them with ``create_group``/``update_group``;
this module only writes members, so every join and leave is audited and
published (``groups_changed``) like an administrator's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from accounts.groups.exceptions import MembersAreComputed
from accounts.groups.services import MembershipChange, write_membership_changes
from accounts.models import Group, GroupMembership, Person
from accounts.services import Actorish, require


@transaction.atomic
def set_members_of_groups(
    wanted: Mapping[int, Iterable[int]], *, by: Actorish
) -> dict[int, MembershipChange]:
    """Make each static group's members exactly the people given (group id -> person
    ids), for many groups in a few statements: one read of the current members,
    then every join and leave written in bulk, audited per person, each changed
    group's ``version`` bumped and published. Returns the changes by group id
    (unchanged groups left out).

    Ids of people who no longer exist are left out. Raises MembersAreComputed
    (a rule-based group) or NotAllowed; then nothing changes.
    """
    require(by, "accounts.change_group")
    if not wanted:
        return {}
    # Locked in id order, as recompute_groups does, so writers queue.
    groups = {
        g.pk: g
        for g in Group.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")
    }
    rule_based = [g.name for g in groups.values() if g.is_rule_based]
    if rule_based:
        raise MembersAreComputed(
            f"{', '.join(sorted(rule_based))}: rule-based, their members come from their rules."
        )
    people = {pk for ids in wanted.values() for pk in ids}
    existing = set(Person.objects.filter(pk__in=people).values_list("pk", flat=True))
    current: dict[int, set[int]] = {}
    for gid, pid in GroupMembership.objects.filter(group_id__in=list(groups)).values_list(
        "group_id", "person_id"
    ):
        current.setdefault(gid, set()).add(pid)
    changes: dict[int, MembershipChange] = {}
    for gid in groups:
        target = set(wanted[gid]) & existing
        have = current.get(gid, set())
        change = MembershipChange(sorted(target - have), sorted(have - target))
        if change:
            changes[gid] = change
    write_membership_changes(groups, changes, by=by)
    return changes


__all__ = ["set_members_of_groups"]
