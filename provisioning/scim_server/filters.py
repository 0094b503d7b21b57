"""SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2): parsed by a
small recursive-descent parser, then compiled to a Django ``Q`` over people or
evaluated against one multi-valued element for PATCH value paths.

Grammar (keywords and attribute names are case-insensitive)::

    filter    = or
    or        = and *("or" and)
    and       = unary *("and" unary)
    unary     = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    valuePath = attrPath "[" filter "]"
    attrPath  = [URI ":"] ATTRNAME ["." subAttr]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from accounts.models import Person
from provisioning.scim_server.errors import ScimError, invalid_filter, invalid_path
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

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32
COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_NAME = re.compile(r"^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$")
_NUMBER = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<lb>\[)|(?P<rb>\])|(?P<str>"(?:[^"\\]|\\.)*")'
    r'|(?P<word>[^\s()\[\]"]+))'
)


# --- attribute paths ----------------------------------------------------------


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


def resolve_path(text: str, *, error: type | None = None) -> AttrPath:  # type: ignore[assignment]
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


# --- syntax tree -------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: str


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class ValuePath:
    path: str
    inner: Node


Node = Compare | Present | And | Or | Not | ValuePath


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise invalid_filter(f"Unexpected text at position {pos + 1}.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        if "\x00" in text:
            raise invalid_filter("The filter contains a NUL character.")
        if len(text) > MAX_FILTER_LENGTH:
            raise invalid_filter(f"Filters are limited to {MAX_FILTER_LENGTH} characters.")
        self.tokens = _tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid_filter("The filter ends too early.")
        self.pos += 1
        return token

    def expect(self, kind: str) -> None:
        token = self.take()
        if token[0] != kind:
            raise invalid_filter(f"Expected {'()[]'[['lp', 'rp', 'lb', 'rb'].index(kind)]}.")

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def parse(self) -> Node:
        node = self.parse_or()
        if self.peek() is not None:
            raise invalid_filter(f"Unexpected “{self.peek()[1]}” in the filter.")  # type: ignore[index]
        return node

    def parse_or(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise invalid_filter("The filter is nested too deeply.")
        node = self.parse_and()
        while self.is_word("or"):
            self.take()
            node = Or(node, self.parse_and())
        self.depth -= 1
        return node

    def parse_and(self) -> Node:
        node = self.parse_unary()
        while self.is_word("and"):
            self.take()
            node = And(node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        token = self.take()
        kind, text = token
        if kind == "lp":
            node = self.parse_or()
            self.expect("rp")
            return node
        if kind != "word":
            raise invalid_filter(f"Unexpected “{text}” in the filter.")
        if text.lower() == "not" and self.peek() is not None and self.peek()[0] == "lp":  # type: ignore[index]
            self.take()
            node = self.parse_or()
            self.expect("rp")
            return Not(node)
        nxt = self.peek()
        if nxt is not None and nxt[0] == "lb":
            self.take()
            inner = self.parse_or()
            self.expect("rb")
            return ValuePath(text, inner)
        op_token = self.take()
        op = op_token[1].lower()
        if op_token[0] == "word" and op == "pr":
            return Present(text)
        if op_token[0] != "word" or op not in COMPARE_OPS:
            raise invalid_filter(f"“{op_token[1]}” is not a SCIM comparison operator.")
        return Compare(text, op, self.parse_value())

    def parse_value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise invalid_filter(f"{text} is not a valid string.") from exc
            if "\x00" in value:
                # An escaped NUL (\u0000): no stored value can hold one.
                raise invalid_filter("The filter contains a NUL character.")
            return value
        if kind == "word":
            lower = text.lower()
            if lower in ("true", "false"):
                return lower == "true"
            if lower == "null":
                return None
            if _NUMBER.match(text):
                return json.loads(text)
        raise invalid_filter(f"“{text}” is not a valid comparison value.")


def parse_filter(text: str) -> Node:
    """Parse a SCIM filter; raise ScimError (invalidFilter) if it is malformed."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: an attribute, an optional value filter and sub-attribute."""

    attr: AttrPath
    filter: Node | None = None
    sub: str | None = None


def parse_patch_path(text: str) -> PatchPath:
    """Parse ``attr``, ``attr.sub``, ``attr[filter]`` or ``attr[filter].sub``."""
    if not isinstance(text, str) or not text.strip():
        raise invalid_path("The path is empty.")
    if "[" not in text:
        return PatchPath(resolve_path(text))
    parser = _Parser(text)
    kind, name = parser.take()
    if kind != "word":
        raise invalid_path(f"“{text}” is not a valid path.")
    attr = resolve_path(name)
    if attr.sub is not None or attr.attr is None:
        raise invalid_path(f"“{text}” is not a valid path.")
    try:
        parser.expect("lb")
        inner = parser.parse_or()
        parser.expect("rb")
    except ScimError as exc:
        raise invalid_path(exc.detail) from exc
    sub = None
    rest = parser.peek()
    if rest is not None:
        parser.take()
        if rest[0] != "word" or not rest[1].startswith(".") or parser.peek() is not None:
            raise invalid_path(f"“{text}” is not a valid path.")
        sub = resolve_path(f"{attr.attr}{rest[1]}").sub
    return PatchPath(attr, inner, sub)


# --- compiling to a query ---------------------------------------------------

TRUE = Q(pk__isnull=False)
FALSE = Q(pk__isnull=True)

# key -> (kind, field); kinds: text (case-insensitive), exact (case-sensitive),
# email, int, datetime, active, const.
_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("int", "pk"),
    "externalid": ("exact", "external_id"),
    "username": ("email", "email"),
    "displayname": ("text", "full_name"),
    "name.formatted": ("text", "full_name"),
    "name.givenname": ("text", "first_name"),
    "name.familyname": ("text", "last_name"),
    "title": ("text", "job_title"),
    "active": ("active", "status"),
    "emails": ("email", "email"),
    "emails.value": ("email", "email"),
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
        return present & (TRUE if _matches(constant, op, value) else FALSE)
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
        # lower(email) has a unique index (person_email_ci_unique): comparing
        # with it, not email__iexact (UPPER), lets PostgreSQL use it.
        field, text, lookups = "email_ci", text.lower(), _TEXT_LOOKUPS
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


def _matches(actual: Any, op: str, value: Any) -> bool:
    """Evaluate one comparison in memory (strings compare case-insensitively)."""
    if op == "pr":
        return actual not in (None, "", [])
    if isinstance(actual, str) and isinstance(value, str):
        a, v = actual.lower(), value.lower()
    else:
        a, v = actual, value
    if actual is None:
        return op == "ne" and value is not None
    try:
        if op == "eq":
            return bool(a == v)
        if op == "ne":
            return bool(a != v)
        if op == "co":
            return isinstance(a, str) and isinstance(v, str) and v in a
        if op == "sw":
            return isinstance(a, str) and isinstance(v, str) and a.startswith(v)
        if op == "ew":
            return isinstance(a, str) and isinstance(v, str) and a.endswith(v)
        numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, v))
        if not numbers and not (isinstance(a, str) and isinstance(v, str)):
            return False
        return bool(
            {"gt": a > v, "ge": a >= v, "lt": a < v, "le": a <= v}[op]  # type: ignore[operator]
        )
    except TypeError:
        return False


def matches_element(node: Node, element: dict[str, Any]) -> bool:
    """Tell whether one element of a multi-valued attribute matches ``node``."""
    if isinstance(node, And):
        return matches_element(node.left, element) and matches_element(node.right, element)
    if isinstance(node, Or):
        return matches_element(node.left, element) or matches_element(node.right, element)
    if isinstance(node, Not):
        return not matches_element(node.inner, element)
    if isinstance(node, ValuePath):
        raise invalid_path("Value filters cannot be nested.")
    name = node.path.lower()
    actual = next((v for k, v in element.items() if k.lower() == name), None)
    if isinstance(node, Present):
        return _matches(actual, "pr", None)
    if isinstance(actual, datetime):
        actual = actual.isoformat()
    return _matches(actual, node.op, node.value)
