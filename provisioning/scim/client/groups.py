"""Group requests of the SCIM client (RFC 7644 over /Groups). HTTP only, no ORM."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provisioning.scim.client.errors import NotFound
from provisioning.scim.client.session import ScimClient

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
JSON = {"Content-Type": "application/scim+json"}


def _members(remote_ids: Iterable[str]) -> list[dict[str, str]]:
    return [{"value": rid} for rid in remote_ids]


def create_group(
    client: ScimClient, *, display_name: str, external_id: str | None, member_ids: list[str]
) -> str:
    """POST a group with these remote member ids; return its remote id. Raises Conflict."""
    body: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "displayName": display_name}
    if external_id:
        body["externalId"] = external_id
    if member_ids:
        body["members"] = _members(member_ids)
    response = client._request("POST", "/Groups", json=body, headers=JSON)
    return str(response.json()["id"])


def find_group(client: ScimClient, display_name: str) -> str | None:
    """Return the remote id of the group called ``display_name``, or None."""
    quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
    response = client._request(
        "GET",
        "/Groups",
        params={"filter": f'displayName eq "{quoted}"', "excludedAttributes": "members"},
    )
    resources = response.json().get("Resources") or []
    return str(resources[0]["id"]) if resources else None


def patch_group(client: ScimClient, remote_id: str, operations: list[dict[str, Any]]) -> None:
    """PATCH a remote group with these operations. Raises NotFound."""
    body = {"schemas": [PATCH_SCHEMA], "Operations": operations}
    client._request("PATCH", f"/Groups/{remote_id}", json=body, headers=JSON)


def member_operations(*, add: list[str], remove: list[str]) -> list[dict[str, Any]]:
    """Return the PATCH operations that add and remove these remote member ids."""
    ops: list[dict[str, Any]] = []
    if add:
        ops.append({"op": "add", "path": "members", "value": _members(add)})
    for rid in remove:
        ops.append({"op": "remove", "path": f'members[value eq "{rid}"]'})
    return ops


def delete_group(client: ScimClient, remote_id: str) -> None:
    """DELETE a remote group; one already gone counts as deleted."""
    try:
        client._request("DELETE", f"/Groups/{remote_id}")
    except NotFound:
        return
