"""SCIM attribute paths (RFC 7644 §3.10): resolve ``name.givenName`` or
``urn:…:enterprise:2.0:User:manager`` to the schema, attribute and
sub-attribute Roster serves, or to an RFC 7643 attribute it does not store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from provisioning.scim_server.errors import invalid_path
from provisioning.scim_server.schema import (
    COMMON,
    CORE,
    CORE_INDEX,
    ENTERPRISE,
    ENTERPRISE_INDEX,
    IGNORED,
    IGNORED_SUB,
    SUB_INDEX,
)

_NAME = re.compile(r"^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$")


@dataclass(frozen=True)
class AttrPath:
    """A resolved attribute: schema URN, canonical attribute and sub-attribute names.

    ``attr`` is None when the path names the whole enterprise extension.
    ``known`` is False for RFC 7643 attributes Roster does not store.
    """

    urn: str
    attr: str | None
    sub: str | None = None
    known: bool = True

    @property
    def key(self) -> str:
        """A lower-case key such as ``name.givenname`` or ``ent:manager.value``."""
        base = (self.attr or "").lower()
        if self.sub:
            base = f"{base}.{self.sub.lower()}"
        return f"ent:{base}" if self.urn == ENTERPRISE else base


def resolve_path(text: str) -> AttrPath:
    """Resolve ``text`` (``name.givenName``, ``urn:…:enterprise:2.0:User:manager``).

    Raises ScimError (invalidPath) for malformed or unknown attributes.
    """
    raw = text.strip()
    lower = raw.lower()
    urn: str | None = None
    for candidate in (ENTERPRISE, CORE):
        if lower == candidate.lower():
            if candidate == ENTERPRISE:
                return AttrPath(ENTERPRISE, None)
            raise invalid_path(f"“{text}” names a schema, not an attribute.")
        if lower.startswith(candidate.lower() + ":"):
            urn = candidate
            raw = raw[len(candidate) + 1 :]
            break
    else:
        if lower.startswith("urn:"):
            raise invalid_path(f"“{text}” is not an attribute of a schema Roster serves.")
    parts = raw.split(".")
    if len(parts) > 2 or not all(_NAME.match(p) for p in parts):
        raise invalid_path(f"“{text}” is not a valid attribute path.")
    name = parts[0].lower()
    sub = parts[1] if len(parts) == 2 else None
    if urn is None:
        if name in CORE_INDEX or name in COMMON or name in IGNORED[CORE]:
            urn = CORE
        elif name in ENTERPRISE_INDEX or name in IGNORED[ENTERPRISE]:
            urn = ENTERPRISE
        else:
            raise invalid_path(f"“{text}” is not an attribute of the User resource.")
    index = ENTERPRISE_INDEX if urn == ENTERPRISE else CORE_INDEX
    if name in index:
        attr = index[name]["name"]
    elif urn == CORE and name in COMMON:
        attr = COMMON[name]
    elif name in IGNORED[urn]:
        return AttrPath(urn, name, sub.lower() if sub else None, known=False)
    else:
        raise invalid_path(f"“{text}” is not an attribute of the User resource.")
    if sub is None:
        return AttrPath(urn, attr)
    if attr == "meta":
        meta_subs = {"created": "created", "lastmodified": "lastModified"}
        meta_subs |= {"resourcetype": "resourceType", "location": "location"}
        meta_subs |= {"version": "version"}
        if sub.lower() not in meta_subs:
            raise invalid_path(f"“{text}” is not an attribute of the User resource.")
        return AttrPath(urn, attr, meta_subs[sub.lower()])
    subs = SUB_INDEX.get(attr.lower())
    if subs is None:
        raise invalid_path(f"“{attr}” has no sub-attributes.")
    if sub.lower() in subs:
        return AttrPath(urn, attr, subs[sub.lower()]["name"])
    if sub.lower() in IGNORED_SUB.get(attr.lower(), set()):
        return AttrPath(urn, attr, sub.lower(), known=False)
    raise invalid_path(f"“{text}” is not an attribute of the User resource.")
