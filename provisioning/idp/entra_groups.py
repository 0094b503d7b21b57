"""Entra ID groups over Microsoft Graph (HTTP only, no ORM): list groups, read their
direct members, and follow ``/groups/delta`` for incremental runs.

``GET /groups`` and ``GET /groups/{id}/members`` page with ``@odata.nextLink``.
Members may be users, groups, devices, service principals or contacts: users
are kept, nested groups skipped and counted, the rest ignored. A delta round
lists every group once per page it spans; later rounds list only changed
groups, and their ``members@delta`` only the members added or (``@removed``)
removed. A group deleted at the provider comes with ``@removed``. Throttling
(429, ``Retry-After``) is waited out by ``GraphClient.get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioning.idp.entra import EntraConfig, GraphClient
from provisioning.idp.errors import DeltaExpired, DirectoryError
from provisioning.idp.groups import DirectoryGroup, GroupRead, GroupSummary, in_scope

GROUP_SELECT = "id,displayName,description,mailNickname,groupTypes,securityEnabled,mailEnabled"
DELTA_SELECT = "displayName,description,members"
PAGE_SIZE = 999
_USER = "#microsoft.graph.user"
_GROUP = "#microsoft.graph.group"
_CONSENT = (
    "The application may not read groups: grant it the GroupMember.Read.All (or "
    "Group.Read.All) application permission with admin consent"
)


def _permission(exc: DirectoryError) -> DirectoryError:
    if exc.reason == DirectoryError.CONSENT:
        return DirectoryError(DirectoryError.CONSENT, f"{_CONSENT} ({exc.message})")
    return exc


def list_groups(client: GraphClient) -> list[GroupSummary]:
    """Return every group in the tenant, sorted by name. Raises DirectoryError."""
    found: list[GroupSummary] = []
    try:
        for page in client.pages(
            client.url("groups"), {"$select": GROUP_SELECT, "$top": PAGE_SIZE}
        ):
            found.extend(
                GroupSummary(
                    key=g["id"],
                    name=g.get("displayName") or g.get("mailNickname") or g["id"],
                    email=g.get("mailNickname") or "",
                    description=g.get("description") or "",
                )
                for g in page.get("value", [])
            )
    except DirectoryError as exc:
        raise _permission(exc) from exc
    return sorted(found, key=lambda g: (g.name.casefold(), g.key))


def _add_member(group: DirectoryGroup, member: Mapping[str, Any]) -> None:
    kind = member.get("@odata.type", _USER)
    if kind == _USER:
        group.members.add(member["id"])
    elif kind == _GROUP:
        group.nested.add(member["id"])
    else:
        group.others += 1


def read_members(client: GraphClient, group: DirectoryGroup) -> None:
    """Fill ``group`` with its direct members (every page)."""
    url = client.url(f"groups/{group.key}/members")
    for page in client.pages(url, {"$select": "id", "$top": PAGE_SIZE}):
        for member in page.get("value", []):
            _add_member(group, member)


def start_delta(client: GraphClient) -> str:
    """Return a delta link that lists changes made from now on."""
    params = {"$select": DELTA_SELECT, "$deltatoken": "latest"}
    page = client.get(client.url("groups/delta"), params)
    while "@odata.deltaLink" not in page and page.get("@odata.nextLink"):
        page = client.get(page["@odata.nextLink"])
    return str(page.get("@odata.deltaLink", ""))


def fetch_groups(config: EntraConfig, *, chosen: set[str] | None, client: GraphClient) -> GroupRead:
    """Read the groups in scope (every group when ``chosen`` is None) with their
    members; the delta link is taken first, so a change made meanwhile is read
    again on the next run rather than lost. Raises DirectoryError."""
    read = GroupRead()
    try:
        read.delta_link = start_delta(client)
        for summary in list_groups(client):
            if not in_scope(summary.key, chosen=chosen):
                continue
            group = DirectoryGroup(
                key=summary.key,
                name=summary.name,
                description=summary.description,
                email=summary.email,
            )
            read_members(client, group)
            read.groups[group.key] = group
    except DirectoryError as exc:
        raise _permission(exc) from exc
    read.requests = client.requests
    return read


def fetch_group_changes(
    config: EntraConfig,
    delta_link: str,
    previous: Mapping[str, DirectoryGroup],
    *,
    chosen: set[str] | None,
    client: GraphClient,
) -> GroupRead:
    """Apply what changed since ``delta_link`` to ``previous`` (the groups as last
    read); return the groups in scope now. Raises DeltaExpired (read in full
    then), DirectoryError."""
    groups = {k: DirectoryGroup.from_json(k, g.to_json()) for k, g in previous.items()}
    read = GroupRead(incremental=True)
    try:
        page = client.get(delta_link)
        while True:
            for change in page.get("value", []):
                key = change["id"]
                if "@removed" in change:
                    groups.pop(key, None)
                    continue
                if not in_scope(key, chosen=chosen):
                    continue
                group = groups.get(key)
                if group is None:
                    group = groups[key] = DirectoryGroup(key=key, name=key)
                if "displayName" in change:
                    group.name = change.get("displayName") or group.name
                if "description" in change:
                    group.description = change.get("description") or ""
                for member in change.get("members@delta") or []:
                    if "@removed" in member:
                        group.members.discard(member["id"])
                        group.nested.discard(member["id"])
                    else:
                        _add_member(group, member)
            if page.get("@odata.nextLink"):
                page = client.get(page["@odata.nextLink"])
                continue
            read.delta_link = str(page.get("@odata.deltaLink") or delta_link)
            break
    except DeltaExpired:
        raise
    except DirectoryError as exc:
        raise _permission(exc) from exc
    read.groups = {k: g for k, g in groups.items() if in_scope(k, chosen=chosen)}
    read.requests = client.requests
    return read


__all__ = ["fetch_group_changes", "fetch_groups", "list_groups", "read_members", "start_delta"]
