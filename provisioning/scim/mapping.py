"""Map a person's attributes to a SCIM User and back; compute PATCH operations.

Pure functions, no ORM. A person's SCIM state is kept *flat*: one key per
attribute Roster manages (its PATCH path), one scalar value each, e.g.
``{"userName": "ada@example.com", "emails": "ada@example.com",
"urn:…:enterprise:2.0:User:manager": "2819c223…"}``. The same flat form is
stored as the link's snapshot, so a diff is a dict comparison and each
changed key becomes one PATCH operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENT = f"{ENTERPRISE}:"

# SCIM attribute → Roster attribute. "" switches an attribute off.
DEFAULT_MAPPING: dict[str, str] = {
    "userName": "user_name",
    "externalId": "id",
    "name.givenName": "first_name",
    "name.familyName": "last_name",
    "name.formatted": "full_name",
    "displayName": "display_name",
    "emails": "email",
    "phoneNumbers": "phone_number",
    "title": "job_title",
    "active": "active",
    "addresses": "location",
    f"{ENT}department": "department",
    f"{ENT}employeeNumber": "external_id",
    f"{ENT}manager": "manager",
}

SCIM_ATTRIBUTES = (
    *DEFAULT_MAPPING,
    "nickName",
    "userType",
    "preferredLanguage",
    f"{ENT}division",
    f"{ENT}organization",
    f"{ENT}costCenter",
)
ROSTER_ATTRIBUTES = (
    "id",
    "email",
    "user_name",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "display_name",
    "job_title",
    "department",
    "location",
    "phone_number",
    "status",
    "source",
    "active",
    "manager",
)
# Only these may carry the two computed Roster attributes.
_BOOLEAN_KEYS = {"active"}
_MANAGER_KEYS = {f"{ENT}manager"}


def effective_mapping(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """Return the default mapping with a target's overrides applied."""
    merged = dict(DEFAULT_MAPPING)
    for key, value in (overrides or {}).items():
        merged[key] = value
    return {k: v for k, v in merged.items() if v}


def mapping_errors(overrides: Mapping[str, Any]) -> list[str]:
    """List what is wrong with an attribute-mapping override (empty when fine)."""
    errors = []
    if not isinstance(overrides, Mapping):
        return ["The attribute mapping must be a JSON object."]
    for key, value in overrides.items():
        if key not in SCIM_ATTRIBUTES:
            errors.append(f"{key} is not a SCIM attribute Roster can set.")
        elif value and value not in ROSTER_ATTRIBUTES:
            errors.append(f"{value} is not a Roster attribute.")
        elif value == "manager" and key not in _MANAGER_KEYS:
            errors.append("Only the enterprise manager can be set from manager.")
        elif value == "active" and key not in _BOOLEAN_KEYS:
            errors.append("Only active can be set from active.")
    if (overrides.get("userName", "x") or "") == "":
        errors.append("userName cannot be switched off.")
    return errors


def display_name(values: Mapping[str, Any]) -> str:
    full = values.get("full_name") or ""
    names = f"{values.get('first_name') or ''} {values.get('last_name') or ''}".strip()
    return full or names or values.get("email") or ""


def desired_state(
    values: Mapping[str, Any],
    *,
    mapping: Mapping[str, str],
    manager_remote_id: str | None,
    active: bool,
) -> dict[str, Any]:
    """Return the flat SCIM state a person should have on a target.

    ``values`` holds the person's attributes (as ``Person`` fields plus
    ``id``); empty values are left out, so a cleared attribute is removed.
    """
    state: dict[str, Any] = {}
    for key, source in mapping.items():
        if source == "active":
            state[key] = active
            continue
        if source == "manager":
            value: Any = manager_remote_id
        elif source == "display_name":
            value = display_name(values)
        elif source == "id":
            value = str(values["id"])
        elif source == "user_name":
            # The userName an identity provider gave, else the email.
            value = values.get("user_name") or values.get("email")
        else:
            value = values.get(source)
        if value not in (None, ""):
            state[key] = value if isinstance(value, bool) else str(value)
    return state


def to_resource(state: Mapping[str, Any]) -> dict[str, Any]:
    """Build the SCIM User payload (for POST or PUT) from a flat state."""
    payload: dict[str, Any] = {"schemas": [USER_SCHEMA]}
    enterprise: dict[str, Any] = {}
    for key, value in state.items():
        if key.startswith(ENT):
            name = key[len(ENT) :]
            enterprise[name] = {"value": value} if name == "manager" else value
        elif key.startswith("name."):
            payload.setdefault("name", {})[key[5:]] = value
        else:
            payload[key] = _expand(key, value)
    if enterprise:
        payload["schemas"].append(ENTERPRISE)
        payload[ENTERPRISE] = enterprise
    return payload


def _expand(key: str, value: Any) -> Any:
    if key == "emails":
        return [{"value": value, "type": "work", "primary": True}]
    if key == "phoneNumbers":
        return [{"value": value, "type": "work"}]
    if key == "addresses":
        return [{"type": "work", "locality": value}]
    return value


def _pick(items: Any, field: str) -> Any:
    if not isinstance(items, list) or not items:
        return None
    chosen = next(
        (i for i in items if isinstance(i, dict) and i.get("type") == "work"),
        next((i for i in items if isinstance(i, dict) and i.get("primary")), items[0]),
    )
    return chosen.get(field) if isinstance(chosen, dict) else None


def flatten(user: Mapping[str, Any], keys: Any) -> dict[str, Any]:
    """Read a remote SCIM User payload into the flat form, for the given keys."""
    state: dict[str, Any] = {}
    enterprise = user.get(ENTERPRISE) or {}
    for key in keys:
        if key.startswith(ENT):
            value = enterprise.get(key[len(ENT) :])
            if isinstance(value, dict):
                value = value.get("value")
        elif key.startswith("name."):
            value = (user.get("name") or {}).get(key[5:])
        elif key == "emails" or key == "phoneNumbers":
            value = _pick(user.get(key), "value")
        elif key == "addresses":
            value = _pick(user.get(key), "locality")
        else:
            value = user.get(key)
        if value not in (None, ""):
            state[key] = value
    return state


def diff(snapshot: Mapping[str, Any], state: Mapping[str, Any]) -> list[str]:
    """Return the keys whose value differs, in mapping order."""
    keys = list(state) + [k for k in snapshot if k not in state]
    return [k for k in keys if snapshot.get(k) != state.get(k)]


def patch_operations(state: Mapping[str, Any], changed: list[str]) -> list[dict[str, Any]]:
    """Return RFC 7644 PATCH operations that bring the remote user to ``state``."""
    ops: list[dict[str, Any]] = []
    for key in changed:
        if key not in state:
            ops.append({"op": "remove", "path": key})
            continue
        value = state[key]
        value = {"value": value} if key == f"{ENT}manager" else _expand(key, value)
        ops.append({"op": "replace", "path": key, "value": value})
    return ops
