"""SCIM Groups (RFC 7643 §4.2, RFC 7644): documents, filters and writes.

Every write goes through accounts.groups.services with the SCIM client as
actor, so it is audited and published like any other. Member changes are
applied as one net difference per request: Entra's batched ``add`` and
``remove`` operations and Okta's ``replace`` of the whole list end in the
same ``set``/``add``/``remove`` service calls. Removing someone who is not a
member is not an error (RFC 7644 §3.5.2.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.exceptions import DomainError, NotAllowed
from accounts.groups import services as group_services
from accounts.groups.exceptions import InvalidGroup, MembersAreComputed, UnknownMembers
from accounts.models import Group, GroupMembership
from provisioning.scim_server.errors import ScimError, invalid_filter, invalid_path, invalid_value
from provisioning.scim_server.filters import (
    And,
    Compare,
    Node,
    Not,
    Or,
    Present,
    ValuePath,
    parse_filter,
)
from provisioning.scim_server.patch import operations_of
from provisioning.scim_server.schema import DEFAULT_COUNT, GROUP, MAX_RESULTS
from provisioning.scim_server.services import AuthenticatedClient

_GROUP_PREFIX = GROUP.lower() + ":"
_MEMBER_PATH = re.compile(r"^\s*members\s*\[(?P<filter>.*)\]\s*$", re.IGNORECASE | re.DOTALL)


def group_etag(group: Group) -> str:
    return f'W/"{group.version}"'


def member_docs(group_ids: list[int], users: str) -> dict[int, list[dict[str, Any]]]:
    """Return the members of these groups as SCIM member objects, in one query."""
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in group_ids}
    rows = (
        GroupMembership.objects.filter(group_id__in=group_ids)
        .order_by("group_id", "person_id")
        .values_list("group_id", "person_id")
    )
    # No "display": it is optional, and leaving it out keeps a 10,000-member
    # group one index scan of memberships, without joining people.
    for group_id, person_id in rows.iterator(chunk_size=5000):
        out[group_id].append(
            {"value": str(person_id), "$ref": f"{users}/{person_id}", "type": "User"}
        )
    return out


def group_to_doc(
    group: Group, *, base: str, users: str, members: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Return ``group`` as a SCIM Group; ``members`` None leaves the attribute out."""
    doc: dict[str, Any] = {"schemas": [GROUP], "id": str(group.pk)}
    if group.external_id:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.name
    if members is not None:
        doc["members"] = members
    doc["meta"] = {
        "resourceType": "Group",
        "created": group.created_at.isoformat(),
        "lastModified": group.updated_at.isoformat(),
        "location": f"{base}/{group.pk}",
        "version": group_etag(group),
    }
    return doc


def wants_members(attributes: list[str] | None, excluded: list[str] | None) -> bool:
    """Tell whether a response should carry members (so 10,000 are never read for nothing)."""
    if attributes:
        return any(_name(a).split(".")[0] == "members" for a in attributes)
    return not any(_name(a) == "members" for a in excluded or [])


def _name(text: str) -> str:
    lower = text.strip().lower()
    return lower[len(_GROUP_PREFIX) :] if lower.startswith(_GROUP_PREFIX) else lower


def project(doc: dict[str, Any], attributes: list[str] | None, excluded: list[str] | None) -> Any:
    """Apply ``attributes``/``excludedAttributes`` to a Group document (top level)."""
    if attributes:
        keep = {_name(a).split(".")[0] for a in attributes} | {"id", "schemas"}
        return {k: v for k, v in doc.items() if k.lower() in keep}
    drop = {_name(a) for a in excluded or []} - {"id", "schemas"}
    return {k: v for k, v in doc.items() if k.lower() not in drop}


# --- filters -------------------------------------------------------------------------

_TEXT = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}


def to_q(node: Node, *, in_members: bool = False) -> Q:
    """Compile a filter over Groups: displayName, externalId, id, members(.value)."""
    if isinstance(node, And):
        return to_q(node.left, in_members=in_members) & to_q(node.right, in_members=in_members)
    if isinstance(node, Or):
        return to_q(node.left, in_members=in_members) | to_q(node.right, in_members=in_members)
    if isinstance(node, Not):
        return ~to_q(node.inner, in_members=in_members)
    if isinstance(node, ValuePath):
        if _name(node.path) != "members" or in_members:
            raise invalid_filter(f"“{node.path}” cannot hold a value filter here.")
        return to_q(node.inner, in_members=True)
    name = _name(node.path)
    if in_members:
        name = f"members.{name}"
    if isinstance(node, Present):
        present = {
            "displayname": Q(pk__isnull=False),
            "id": Q(pk__isnull=False),
            "externalid": Q(external_id__isnull=False),
        }
        if name in ("members", "members.value"):
            return Q(memberships__isnull=False)
        if name not in present:
            raise invalid_filter(f"Roster cannot filter Groups on “{node.path}”.")
        return present[name]
    assert isinstance(node, Compare)
    return _compare(name, node.op, node.value)


def _compare(name: str, op: str, value: Any) -> Q:
    if name in ("members", "members.value", "id"):
        if op not in ("eq", "ne"):
            raise invalid_filter(f"{name} compares only with eq or ne.")
        text = str(value)
        pk = int(text) if text.isdigit() and len(text) < 18 else None
        if name == "id":
            q = Q(pk=pk) if pk else Q(pk__isnull=True)
        else:
            q = Q(pk__isnull=True)
            if pk:
                ids = GroupMembership.objects.filter(person_id=pk).values("group_id")
                q = Q(pk__in=ids)
        return ~q if op == "ne" else q
    if not isinstance(value, str):
        raise invalid_filter(f"{name} is a string.")
    if name == "displayname":
        if op == "ne":
            return ~Q(name__iexact=value)
        if op not in _TEXT:
            raise invalid_filter(f"displayName cannot be compared with {op}.")
        return Q(**{f"name__{_TEXT[op]}": value})
    if name == "externalid":
        if op == "eq":
            return Q(external_id=value)
        if op == "ne":
            return ~Q(external_id=value)
        lookups = {"co": "contains", "sw": "startswith", "ew": "endswith"}
        if op not in lookups:
            raise invalid_filter(f"externalId cannot be compared with {op}.")
        return Q(**{f"external_id__{lookups[op]}": value})
    raise invalid_filter(f"Roster cannot filter Groups on “{name}”.")


@dataclass(frozen=True)
class GroupPage:
    groups: list[Group]
    total: int
    start_index: int


def search_groups(
    *, filter_text: str | None, start_index: int = 1, count: int | None = None
) -> GroupPage:
    """Return one page of groups matching a SCIM filter, in id order."""
    qs: QuerySet[Group] = Group.objects.order_by("pk")
    if filter_text:
        if "\x00" in filter_text:
            raise invalid_filter("A filter cannot contain the NUL character.")
        qs = qs.filter(to_q(parse_filter(filter_text))).distinct()
    start_index = max(start_index, 1)
    count = DEFAULT_COUNT if count is None else min(max(count, 0), MAX_RESULTS)
    if count == 0:
        return GroupPage([], qs.count(), start_index)
    offset = start_index - 1
    rows = list(qs[offset : offset + count])
    total = len(rows) if offset == 0 and len(rows) < count else qs.count()
    return GroupPage(rows, total, start_index)


def get_group(group_id: str) -> Group:
    """Return the group with this SCIM id; raise ScimError 404 if there is none."""
    group = None
    if group_id.isdigit() and len(group_id) < 18:
        group = Group.objects.filter(pk=int(group_id)).first()
    if group is None:
        raise ScimError(404, f"No group with id {group_id}.")
    return group


# --- writes ---------------------------------------------------------------------------


def _error(exc: DomainError) -> ScimError:
    if isinstance(exc, InvalidGroup):
        if any("already" in m for m in exc.errors.values()):
            return ScimError(409, exc.message, "uniqueness")
        return invalid_value(exc.message)
    if isinstance(exc, MembersAreComputed):
        return ScimError(400, exc.message, "mutability")
    if isinstance(exc, UnknownMembers):
        return invalid_value(exc.message)
    if isinstance(exc, NotAllowed):
        return ScimError(403, exc.message)
    return invalid_value(exc.message)


def _fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_value("The body must be a Group object.")
    return {_name(str(k)): v for k, v in body.items()}


def _member_ids(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid_value("Each member must be an object with a value.")
        item = {str(k).lower(): v for k, v in item.items()}
        if str(item.get("type", "User")).lower() == "group":
            raise invalid_value("Roster groups hold people only, not other groups.")
        if not isinstance(item.get("value"), str | int) or isinstance(item.get("value"), bool):
            raise invalid_value("Each member needs the id of a User as its value.")
        ids.append(str(item["value"]))
    return ids


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{name} must be a string.")
    return value


def _check_precondition(group: Group, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags or group_etag(group) in tags or group_etag(group)[2:] in tags:
        return
    raise ScimError(412, "The group has changed since that version (If-Match).")


def _run(fn: Any) -> Any:
    try:
        with transaction.atomic():
            return fn()
    except DomainError as exc:
        raise _error(exc) from exc


def create_group(body: Any, *, client: AuthenticatedClient) -> Group:
    """Create a static group from a SCIM Group (source "scim"). Raises ScimError (400, 409)."""
    fields = _fields(body)
    name = _string(fields.get("displayname"), "displayName")
    if not name:
        raise invalid_value("displayName is required.")
    return _run(
        lambda: group_services.create_group(
            name=name,
            external_id=_string(fields.get("externalid"), "externalId"),
            source=Group.Source.SCIM,
            member_ids=_member_ids(fields.get("members")),
            by=client.actor,
        )
    )


def replace_group(
    group: Group, body: Any, *, client: AuthenticatedClient, if_match: str | None = None
) -> Group:
    """Replace a group's name, external ID and members (PUT). Raises ScimError."""
    fields = _fields(body)
    name = _string(fields.get("displayname"), "displayName")
    if not name:
        raise invalid_value("displayName is required.")

    def run() -> Group:
        locked = group_services.lock_group(group)
        _check_precondition(locked, if_match)
        updated = group_services.update_group(
            locked,
            name=name,
            external_id=_string(fields.get("externalid"), "externalId")
            if "externalid" in fields
            else locked.external_id,
            by=client.actor,
        )
        if "members" in fields or not updated.is_rule_based:
            group_services.set_members(updated, _member_ids(fields.get("members")), by=client.actor)
        return updated

    return _run(run)


@dataclass
class _Working:
    name: str
    external_id: str | None
    members: set[str]
    touched_members: bool = False


def _patch_members(work: _Working, op: str, path: str | None, value: Any) -> None:
    match = _MEMBER_PATH.match(path or "")
    if match:
        if op != "remove":
            raise invalid_path("Only remove may target members[…]; add members by value.")
        ids = _filtered_ids(parse_filter(match.group("filter")))
        work.members -= ids
    elif op == "add":
        work.members |= set(_member_ids(value))
    elif op == "replace":
        work.members = set(_member_ids(value))
    elif value is None:
        work.members = set()
    else:
        work.members -= set(_member_ids(value))
    work.touched_members = True


def _filtered_ids(node: Node) -> set[str]:
    if isinstance(node, Or):
        return _filtered_ids(node.left) | _filtered_ids(node.right)
    if isinstance(node, Compare) and node.op == "eq" and _name(node.path) == "value":
        return {str(node.value)}
    raise invalid_path('Use members[value eq "id"] to pick members.')


def _apply_op(work: _Working, op: str, path: str | None, value: Any) -> None:
    name = _name(path) if path else None
    if name is None:
        if not isinstance(value, dict):
            raise invalid_value("An operation without a path needs an object value.")
        for key, item in value.items():
            if _name(str(key)) not in ("id", "schemas", "meta"):
                _apply_op(work, op, str(key), item)
        return
    if name == "members" or _MEMBER_PATH.match(path or ""):
        _patch_members(work, op, path, value)
    elif name == "displayname":
        if op == "remove" or not isinstance(value, str) or not value.strip():
            raise invalid_value("displayName is required and must be a string.")
        work.name = value
    elif name == "externalid":
        work.external_id = None if op == "remove" else _string(value, "externalId")
    else:
        raise invalid_path(f"Roster's Groups have no attribute “{path}”.")


def patch_group(
    group: Group, body: Any, *, client: AuthenticatedClient, if_match: str | None = None
) -> Group:
    """Apply a SCIM PatchOp to a group as one net change. Raises ScimError (400, 409, 412)."""
    operations = operations_of(body)

    def run() -> Group:
        locked = group_services.lock_group(group)
        _check_precondition(locked, if_match)
        current = {str(pk) for pk in locked.memberships.values_list("person_id", flat=True)}
        work = _Working(locked.name, locked.external_id, set(current))
        for operation in operations:
            fields = {str(k).lower(): v for k, v in operation.items()}
            op = str(fields.get("op", "")).lower()
            if op not in ("add", "replace", "remove"):
                raise invalid_value(f"“{fields.get('op')}” is not a PATCH operation.")
            path = fields.get("path")
            if path is not None and not isinstance(path, str):
                raise invalid_path("path must be a string.")
            _apply_op(work, op, path or None, fields.get("value"))
        updated = locked
        if (work.name, work.external_id) != (locked.name, locked.external_id):
            updated = group_services.update_group(
                locked, name=work.name, external_id=work.external_id, by=client.actor
            )
        if work.touched_members:
            added = sorted(work.members - current)
            removed = sorted(current - work.members)
            if added:
                group_services.add_members(updated, added, by=client.actor)
            if removed:
                group_services.remove_members(updated, removed, by=client.actor)
        updated.refresh_from_db()
        return updated

    return _run(run)


def delete_group(group: Group, *, client: AuthenticatedClient, if_match: str | None = None) -> None:
    """Delete a group (its people stay). Raises ScimError (412)."""

    def run() -> None:
        locked = group_services.lock_group(group)
        _check_precondition(locked, if_match)
        group_services.delete_group(locked, by=client.actor)

    _run(run)
