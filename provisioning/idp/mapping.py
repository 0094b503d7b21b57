"""Which provider field feeds each Roster attribute, and how to read it.

A field path is dotted, with list selectors and fallbacks:

- ``name.givenName``: a nested key;
- ``phones[type=work].value``: the first list item whose ``type`` is ``work``;
- ``organizations[primary].title``: the item marked ``primary`` (else the first);
- ``businessPhones[0]``: a list position;
- ``mail | userPrincipalName``: the first of several that is not blank;
- ``!suspended``: the negation of a boolean field.

This module imports nothing from Django, so edge clients can use it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from provisioning.records import ExternalRecord

# Attributes an identity provider may feed, in the order the source page shows them.
MAPPED_ATTRIBUTES = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager_email",
    "job_title",
    "department",
    "phone_number",
    "location",
    "is_active",
)

GOOGLE_DEFAULT_MAPPING: dict[str, str] = {
    "email": "primaryEmail",
    "external_id": "externalIds[type=organization].value",
    "first_name": "name.givenName",
    "last_name": "name.familyName",
    "full_name": "name.fullName",
    "manager_email": "relations[type=manager].value",
    "job_title": "organizations[primary].title",
    "department": "organizations[primary].department",
    "phone_number": "phones[type=work].value | phones[type=mobile].value",
    "location": "locations[type=desk].buildingId | locations[type=desk].area",
    # Archived users are inactive too (``google.to_records`` applies it).
    "is_active": "!suspended",
}

# ``manager`` is the manager's own directory entry, resolved from its id.
ENTRA_DEFAULT_MAPPING: dict[str, str] = {
    "email": "mail | userPrincipalName",
    "external_id": "employeeId",
    "first_name": "givenName",
    "last_name": "surname",
    "full_name": "displayName",
    "manager_email": "manager.mail | manager.userPrincipalName",
    "job_title": "jobTitle",
    "department": "department",
    "phone_number": "businessPhones[0] | mobilePhone",
    "location": "officeLocation",
    "is_active": "accountEnabled",
}

_STEP = re.compile(r"^(?P<key>[A-Za-z0-9_$@.-]*?)(?:\[(?P<sel>[^\]]*)\])?$")


class MappingError(ValueError):
    """A field path that cannot be read."""


def effective_mapping(defaults: Mapping[str, str], overrides: Mapping[str, str] | None) -> dict:
    """Return the defaults with an administrator's overrides applied (blank = default)."""
    mapping = dict(defaults)
    for attribute, path in (overrides or {}).items():
        if attribute not in MAPPED_ATTRIBUTES:
            raise MappingError(f"“{attribute}” is not an attribute Roster keeps.")
        path = (path or "").strip()
        if path:
            validate_path(path)
            mapping[attribute] = path
    return mapping


def validate_path(path: str) -> None:
    """Raise MappingError if ``path`` is not a readable field path."""
    for alternative in path.split("|"):
        alternative = alternative.strip().lstrip("!")
        if not alternative:
            raise MappingError(f"“{path}” has an empty alternative.")
        for step in _split_steps(alternative):
            if not _STEP.match(step):
                raise MappingError(f"“{path}” is not a field path.")


def _split_steps(path: str) -> list[str]:
    # Dots inside [..] belong to the selector, not the path.
    steps: list[str] = []
    current: list[str] = []
    depth = 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            steps.append("".join(current))
            current = []
        else:
            current.append(char)
    steps.append("".join(current))
    return steps


def _select(items: list, selector: str) -> Any:
    if not items:
        return None
    if selector.isdigit():
        index = int(selector)
        return items[index] if index < len(items) else None
    if selector == "primary":
        for item in items:
            if isinstance(item, dict) and item.get("primary"):
                return item
        return items[0]
    key, _, wanted = selector.partition("=")
    for item in items:
        if isinstance(item, dict) and str(item.get(key.strip(), "")) == wanted.strip():
            return item
    return None


@functools.lru_cache(maxsize=256)
def _compile(path: str) -> tuple[tuple[bool, tuple[tuple[str, str | None], ...]], ...]:
    alternatives = []
    for alternative in path.split("|"):
        alternative = alternative.strip()
        steps = []
        for step in _split_steps(alternative.lstrip("!")):
            match = _STEP.match(step)
            if match is None:
                raise MappingError(f"“{path}” is not a field path.")
            steps.append((match.group("key"), match.group("sel")))
        alternatives.append((alternative.startswith("!"), tuple(steps)))
    return tuple(alternatives)


def read_path(data: Mapping[str, Any], path: str) -> Any:
    """Return the value at ``path`` in ``data`` (None when absent)."""
    values = read_alternatives(data, path, first_only=True)
    return values[0] if values else None


def read_alternatives(data: Mapping[str, Any], path: str, *, first_only: bool = False) -> list:
    """Return the values of ``path``'s alternatives in ``data`` that are not blank."""
    found: list[Any] = []
    for negate, steps in _compile(path):
        value: Any = data
        for key, selector in steps:
            if value is None:
                break
            if key:
                value = value.get(key) if isinstance(value, dict) else None
            if selector is not None:
                value = _select(value, selector) if isinstance(value, list) else None
        if negate:
            found.append(None if value is None else not bool(value))
            return found
        if value not in (None, "", [], {}):
            found.append(value)
            if first_only:
                return found
    return found


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _flag(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "yes", "active", "enabled"}


def to_record(data: Mapping[str, Any], mapping: Mapping[str, str], *, row: int) -> ExternalRecord:
    """Build the record Roster reconciles from one directory entry."""
    values: dict[str, Any] = {}
    for attribute in MAPPED_ATTRIBUTES:
        path = mapping.get(attribute)
        raw = read_path(data, path) if path else None
        values[attribute] = _flag(raw) if attribute == "is_active" else _text(raw)
    values["email"] = values["email"].lower()
    values["manager_email"] = values["manager_email"].lower()
    phone_path = mapping.get("phone_number")
    fallbacks: tuple[str, ...] = ()
    if phone_path and "|" in phone_path:
        # A work number that cannot be read falls back to the next one (mobile).
        texts = [_text(v) for v in read_alternatives(data, phone_path)]
        fallbacks = tuple(t for t in texts[1:] if t and t != values["phone_number"])
    return ExternalRecord(
        **values,
        row=row,
        raw=data if isinstance(data, dict) else dict(data),
        source_id=_text(data.get("id")),
        phone_fallbacks=fallbacks,
    )
