"""Groups another system owns (an identity provider): create or update one with its
members in a single call, through the audited group services.

The caller (provisioning's group sync) decides which groups exist and who
belongs; this module only writes, so every change is audited and published
(``groups_changed``) like an administrator's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from accounts.groups.services import MembershipChange, create_group, set_members, update_group
from accounts.models import Group
from accounts.services import Actorish


@dataclass
class SourcedGroupChange:
    """What one upsert did to one group."""

    group: Group
    created: bool = False
    renamed_from: str | None = None
    members: MembershipChange = field(default_factory=MembershipChange)


@transaction.atomic
def upsert_sourced_group(
    group: Group | None,
    *,
    by: Actorish,
    source: str,
    external_id: str,
    name: str,
    description: str,
    member_ids: Iterable[int],
) -> SourcedGroupChange:
    """Create a static group (``group`` None) or bring ``group`` in line: its name,
    description and exactly these members, set-wise. Audited and published;
    nothing is written for what is already so.

    Raises InvalidGroup (a name another group holds), MembersAreComputed (the
    group was made rule-based in Roster), UnknownMembers or NotAllowed; then
    nothing changes.
    """
    ids = sorted(set(member_ids))
    if group is None:
        created = create_group(
            name=name,
            by=by,
            description=description,
            external_id=external_id,
            source=source,
            kind=Group.Kind.STATIC,
            member_ids=ids,
        )
        return SourcedGroupChange(created, created=True, members=MembershipChange(added=ids))
    change = SourcedGroupChange(group)
    description = (description or "").strip()
    if group.name != name.strip() or group.description != description:
        if group.name != name.strip():
            change.renamed_from = group.name
        group = update_group(group, by=by, name=name, description=description)
        change.group = group
    change.members = set_members(group, ids, by=by)
    return change


__all__ = ["SourcedGroupChange", "upsert_sourced_group"]
