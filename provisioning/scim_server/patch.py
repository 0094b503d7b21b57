"""PATCH (RFC 7644 §3.5.2) applied to a User's SCIM representation.

The operations change a copy of the person's document; the caller maps the
result back to Person attributes and hands the difference to the services.
Accepted dialects: capitalised ops ("Replace", Entra), path-less operations
whose value holds dotted or URN-prefixed keys, manager given as a bare id.
"""

from __future__ import annotations

from typing import Any

from provisioning.scim_server.errors import ScimError, invalid_path, invalid_value
from provisioning.scim_server.filters import Compare, Node, PatchPath, parse_patch_path
from provisioning.scim_server.mapping import manager_object
from provisioning.scim_server.schema import CORE, ENTERPRISE

MAX_OPERATIONS = 1000
_MULTI = {"emails", "phoneNumbers", "addresses"}
_COMPLEX = {"name", "manager"}
_READ_ONLY = {"id", "meta", "schemas"}


def operations_of(body: Any) -> list[dict[str, Any]]:
    """Return the operations of a PatchOp body; raise ScimError if malformed."""
    if not isinstance(body, dict):
        raise invalid_value("The body must be a PatchOp object.")
    ops = next((v for k, v in body.items() if str(k).lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise invalid_value("A PatchOp needs a non-empty Operations list.")
    if len(ops) > MAX_OPERATIONS:
        raise invalid_value(f"A PatchOp may hold at most {MAX_OPERATIONS} operations.")
    for op in ops:
        if not isinstance(op, dict):
            raise invalid_value("Each operation must be an object.")
    return ops


def apply_operations(doc: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    """Apply ``operations`` to ``doc`` in place, in order."""
    for operation in operations:
        fields = {str(k).lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_value(f"“{op}” is not a PATCH operation (add, replace, remove).")
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise invalid_path("path must be a string.")
        _apply(doc, op.lower(), path or None, fields.get("value"), explicit=True)


def _apply(doc: dict[str, Any], op: str, path: str | None, value: Any, *, explicit: bool) -> None:
    if path is None:
        if op == "remove":
            raise ScimError(400, "A remove operation needs a path.", "noTarget")
        if not isinstance(value, dict):
            raise invalid_value("An operation without a path needs an object value.")
        for key, item in value.items():
            key = str(key)
            if key.lower() == ENTERPRISE.lower() and isinstance(item, dict):
                _apply_extension(doc, op, item)
            elif key.lower() in _READ_ONLY:
                continue
            else:
                _apply(doc, op, key, item, explicit=False)
        return
    target = parse_patch_path(path)
    attr = target.attr
    if not attr.known:
        return
    if attr.attr is None:
        _apply_extension(doc, op, value)
        return
    if attr.attr in _READ_ONLY:
        if explicit:
            raise ScimError(400, f"{attr.attr} cannot be changed.", "mutability")
        return
    container = doc if attr.urn == CORE else doc.setdefault(ENTERPRISE, {})
    if not isinstance(container, dict):
        container = doc[ENTERPRISE] = {}
    if target.filter is not None:
        _apply_filtered(container, op, target, value)
    elif attr.sub is not None:
        _apply_sub(container, op, attr.attr, attr.sub, value)
    else:
        _apply_whole(container, op, attr.attr, value)


def _apply_extension(doc: dict[str, Any], op: str, value: Any) -> None:
    if op == "remove":
        doc.pop(ENTERPRISE, None)
        return
    if not isinstance(value, dict):
        raise invalid_value(f"{ENTERPRISE} must be an object.")
    for key, item in value.items():
        if str(key).lower() not in _READ_ONLY:
            _apply(doc, op, f"{ENTERPRISE}:{key}", item, explicit=False)


def _type_of(node: Node) -> str | None:
    """Return X for a filter ``type eq "X"``, which add and replace may create."""
    if (
        isinstance(node, Compare)
        and node.path.lower() == "type"
        and node.op == "eq"
        and isinstance(node.value, str)
    ):
        return node.value
    return None


def _apply_filtered(container: dict[str, Any], op: str, target: PatchPath, value: Any) -> None:
    from provisioning.scim_server.filters import matches_element

    name = target.attr.attr or ""
    if name not in _MULTI:
        raise invalid_path(f"{name} is not multi-valued, so it cannot take a value filter.")
    items = container.get(name)
    if not isinstance(items, list):
        items = []
    items = [i for i in items if isinstance(i, dict)]
    assert target.filter is not None
    matched = [i for i in items if matches_element(target.filter, i)]
    if op == "remove":
        if target.sub:
            for item in matched:
                item.pop(target.sub, None)
        else:
            ids = {id(i) for i in matched}
            items = [i for i in items if id(i) not in ids]
        container[name] = items
        return
    if not matched:
        # Entra replaces phoneNumbers[type eq "work"].value on people who have
        # none yet and expects the element to appear.
        kind = _type_of(target.filter)
        if kind is None:
            raise ScimError(400, f"No {name} value matches the filter.", "noTarget")
        matched = [{"type": kind}]
        items.extend(matched)
    for item in matched:
        if target.sub:
            item[target.sub] = value
        elif isinstance(value, dict):
            item.update(value)
        else:
            raise invalid_value(f"The value for {name}[…] must be an object.")
    container[name] = items


def _apply_sub(container: dict[str, Any], op: str, name: str, sub: str, value: Any) -> None:
    if name in _MULTI:
        items = container.get(name)
        items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        if op == "remove":
            for item in items:
                item.pop(sub, None)
        else:
            if not items:
                items = [{}]
            for item in items:
                item[sub] = value
        container[name] = items
        return
    current = container.get(name)
    obj = dict(current) if isinstance(current, dict) else {}
    if op == "remove":
        obj.pop(sub, None)
    else:
        obj[sub] = value
    container[name] = obj


def _apply_whole(container: dict[str, Any], op: str, name: str, value: Any) -> None:
    if op == "remove" or value is None:
        container.pop(name, None)
        return
    if name in _MULTI:
        new = value if isinstance(value, list) else [value]
        current = container.get(name)
        if op == "add" and isinstance(current, list):
            container[name] = [*current, *new]
        else:
            container[name] = list(new)
        return
    if name in _COMPLEX:
        if name == "manager":
            value = manager_object(value)
            if value is None:
                container.pop(name, None)
                return
        if not isinstance(value, dict):
            raise invalid_value(f"{name} must be an object.")
        current = container.get(name)
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update(value)
        container[name] = merged
        return
    container[name] = value
