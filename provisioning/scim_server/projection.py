"""The ``attributes`` and ``excludedAttributes`` parameters (RFC 7644 §3.4.2.5)."""

from __future__ import annotations

from typing import Any

from provisioning.scim_server.errors import ScimError, invalid_value
from provisioning.scim_server.filters import resolve_path
from provisioning.scim_server.schema import CORE, ENTERPRISE

_ALWAYS = ("schemas", "id")


def _paths(names: list[str]) -> list[tuple[str, str | None, str | None]]:
    out = []
    for name in names:
        try:
            path = resolve_path(name)
        except ScimError as exc:
            raise invalid_value(exc.detail) from exc
        if path.known:
            out.append((path.urn, path.attr, path.sub))
    return out


def _container(doc: dict[str, Any], urn: str) -> dict[str, Any] | None:
    return doc if urn == CORE else doc.get(ENTERPRISE)


def project(
    doc: dict[str, Any], *, attributes: list[str] | None, excluded: list[str] | None
) -> dict[str, Any]:
    """Return ``doc`` cut down to ``attributes`` or without ``excluded``."""
    if attributes:
        out: dict[str, Any] = {k: doc[k] for k in _ALWAYS if k in doc}
        for urn, attr, sub in _paths(attributes):
            source = _container(doc, urn)
            if source is None:
                continue
            if attr is None:
                out[ENTERPRISE] = source
                continue
            if attr not in source:
                continue
            target = out if urn == CORE else out.setdefault(ENTERPRISE, {})
            value = source[attr]
            if sub is None:
                target[attr] = value
            elif isinstance(value, dict) and sub in value:
                target.setdefault(attr, {})[sub] = value[sub]
            elif isinstance(value, list):
                picked = [{sub: v[sub]} for v in value if isinstance(v, dict) and sub in v]
                if picked:
                    target[attr] = picked
        if ENTERPRISE in out and ENTERPRISE not in out["schemas"]:
            out["schemas"] = [*out["schemas"], ENTERPRISE]
        elif ENTERPRISE not in out and ENTERPRISE in out.get("schemas", []):
            out["schemas"] = [s for s in out["schemas"] if s != ENTERPRISE]
        return out
    if excluded:
        out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in doc.items()}
        for urn, attr, sub in _paths(excluded):
            if urn == CORE and attr in _ALWAYS:
                continue
            if attr is None:
                out.pop(ENTERPRISE, None)
                continue
            target = _container(out, urn)
            if target is None or attr not in target:
                continue
            if sub is None:
                target.pop(attr)
            elif isinstance(target[attr], dict):
                target[attr] = {k: v for k, v in target[attr].items() if k != sub}
            elif isinstance(target[attr], list):
                target[attr] = [
                    {k: v for k, v in item.items() if k != sub} for item in target[attr]
                ]
        if ENTERPRISE in out and not out[ENTERPRISE]:
            out.pop(ENTERPRISE)
        if ENTERPRISE not in out:
            out["schemas"] = [s for s in out["schemas"] if s != ENTERPRISE]
        return out
    return doc
