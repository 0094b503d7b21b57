"""Compile a parsed SCIM filter to a Django ``Q`` over people (``list_people``,
which aliases ``email_ci`` and ``user_name_ci``), mapping each SCIM attribute to its column."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from accounts.models import Person
from provisioning.scim_server.errors import ScimError, invalid_filter
from provisioning.scim_server.filters.matching import matches
from provisioning.scim_server.filters.paths import AttrPath, resolve_path
from provisioning.scim_server.filters.syntax import And, Node, Not, Or, Present, ValuePath
from provisioning.scim_server.schema import ENTERPRISE

TRUE = Q(pk__isnull=False)
FALSE = Q(pk__isnull=True)

# key -> (kind, field); kinds: text (case-insensitive), exact (case-sensitive),
# email, int, datetime, active, const.
_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("int", "pk"),
    "externalid": ("exact", "external_id"),
    "username": ("email", "user_name_ci"),
    "displayname": ("text", "full_name"),
    "name.formatted": ("text", "full_name"),
    "name.givenname": ("text", "first_name"),
    "name.familyname": ("text", "last_name"),
    "title": ("text", "job_title"),
    "active": ("active", "status"),
    "emails": ("email", "email_ci"),
    "emails.value": ("email", "email_ci"),
    "phonenumbers": ("exact", "phone_number"),
    "phonenumbers.value": ("exact", "phone_number"),
    "addresses.locality": ("text", "location"),
    "meta.created": ("datetime", "created_at"),
    "meta.lastmodified": ("datetime", "updated_at"),
    "ent:employeenumber": ("exact", "external_id"),
    "ent:department": ("text", "department"),
    "ent:manager": ("int", "manager_id"),
    "ent:manager.value": ("int", "manager_id"),
}
# Attributes with one fixed value, present when the field they describe is set.
_CONSTANTS: dict[str, tuple[Any, Q]] = {
    "emails.type": ("work", TRUE),
    "emails.primary": (True, TRUE),
    "phonenumbers.type": ("work", ~Q(phone_number="")),
    "addresses.type": ("work", ~Q(location="")),
    "addresses": ("work", ~Q(location="")),
    "meta.resourcetype": ("User", TRUE),
    "name": (None, ~Q(full_name="") | ~Q(first_name="") | ~Q(last_name="")),
}
_TEXT_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}
_ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def to_q(node: Node, parent: str | None = None) -> Q:
    """Compile a parsed filter to a Q over ``list_people`` (with ``email_ci``)."""
    if isinstance(node, And):
        return to_q(node.left, parent) & to_q(node.right, parent)
    if isinstance(node, Or):
        return to_q(node.left, parent) | to_q(node.right, parent)
    if isinstance(node, Not):
        return ~to_q(node.inner, parent)
    if isinstance(node, ValuePath):
        if parent is not None:
            raise invalid_filter("Value filters cannot be nested.")
        path = _filter_path(node.path)
        if path.sub is not None or path.attr is None:
            raise invalid_filter(f"“{node.path}” cannot hold a value filter.")
        if not path.known:
            return FALSE
        return to_q(node.inner, path.key)
    text = node.path if parent is None else f"{parent}.{node.path}"
    if parent is not None and parent.startswith("ent:"):
        text = f"{ENTERPRISE}:{parent[4:]}.{node.path}"
    path = _filter_path(text)
    if not path.known:
        return FALSE if isinstance(node, Present) or node.op != "ne" else TRUE
    key = path.key
    if isinstance(node, Present):
        return _present(key)
    return _compare(key, node.op, node.value)


def _filter_path(text: str) -> AttrPath:
    try:
        return resolve_path(text)
    except ScimError as exc:
        raise invalid_filter(exc.detail) from exc


def _present(key: str) -> Q:
    if key in _CONSTANTS:
        return _CONSTANTS[key][1]
    if key not in _FIELDS:
        return FALSE
    kind, field = _FIELDS[key]
    if kind in ("text", "exact", "email"):
        return Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})
    if kind == "int":
        return Q(**{f"{field}__isnull": False})
    return TRUE


def _compare(key: str, op: str, value: Any) -> Q:
    if key in _CONSTANTS:
        constant, present = _CONSTANTS[key]
        return present & (TRUE if matches(constant, op, value) else FALSE)
    if key not in _FIELDS:
        raise invalid_filter(f"Roster cannot filter on “{key}”.")
    kind, field = _FIELDS[key]
    if value is None:
        if op == "eq":
            return ~_present(key)
        if op == "ne":
            return _present(key)
        raise invalid_filter(f"null cannot be compared with {op}.")
    if kind == "active":
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise invalid_filter("active compares only with eq or ne and true or false.")
        wanted = value if op == "eq" else not value
        deactivated = Q(status=Person.Status.DEACTIVATED)
        return ~deactivated if wanted else deactivated
    if kind == "int":
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"{key} cannot be compared with {op}.")
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 0 < number < 2**63:
            return TRUE if op == "ne" else FALSE
        if op in ("eq", "ne"):
            q = Q(**{field: number})
            return ~q if op == "ne" else q
        return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": number})
    if kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise invalid_filter(f"“{value}” is not a date and time.")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f"{key} cannot be compared with {op}.")
        if op in ("eq", "ne"):
            q = Q(**{field: moment})
            return ~q if op == "ne" else q
        return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": moment})
    if isinstance(value, bool):
        raise invalid_filter(f"{key} is a string, not a boolean.")
    text = str(value)
    if kind == "email":
        # lower(email) and lower(coalesce(user_name, email)) have unique
        # indexes: comparing with them, not __iexact (UPPER), lets PostgreSQL
        # use them.
        text, lookups = text.lower(), _TEXT_LOOKUPS
    elif kind == "text":
        lookups = {k: f"i{v}" for k, v in _TEXT_LOOKUPS.items()}
    else:
        lookups = _TEXT_LOOKUPS
    if op in ("eq", "ne"):
        q = Q(**{f"{field}__{lookups['eq']}": text})
        return ~q if op == "ne" else q
    if op in lookups:
        return Q(**{f"{field}__{lookups[op]}": text})
    return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": text})
