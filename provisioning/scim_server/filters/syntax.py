"""SCIM filter syntax (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): the syntax
tree, and a small recursive-descent parser that builds it.

Grammar (keywords and attribute names are case-insensitive)::

    filter    = or
    or        = and *("or" and)
    and       = unary *("and" unary)
    unary     = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    valuePath = attrPath "[" filter "]" ["." subAttr ("pr" / compareOp compValue)]
    attrPath  = [URI ":"] ATTRNAME ["." subAttr]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from provisioning.scim_server.errors import ScimError, invalid_filter, invalid_path
from provisioning.scim_server.filters.paths import AttrPath, resolve_path

MAX_FILTER_LENGTH = 4096
MAX_DEPTH = 32
COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_NUMBER = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<lb>\[)|(?P<rb>\])|(?P<str>"(?:[^"\\]|\\.)*")'
    r'|(?P<word>[^\s()\[\]"]+))'
)


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
        extra = self.peek()
        if extra is not None:
            raise invalid_filter(f"Unexpected “{extra[1]}” in the filter.")
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
        after = self.peek()
        if text.lower() == "not" and after is not None and after[0] == "lp":
            self.take()
            node = self.parse_or()
            self.expect("rp")
            return Not(node)
        nxt = self.peek()
        if nxt is not None and nxt[0] == "lb":
            self.take()
            inner = self.parse_or()
            self.expect("rb")
            after_bracket = self.peek()
            if (
                after_bracket is not None
                and after_bracket[0] == "word"
                and after_bracket[1].startswith(".")
                and len(after_bracket[1]) > 1
            ):
                # Entra: emails[type eq "work"].value eq "…" — the element
                # filter and a comparison on one of its sub-attributes.
                self.take()
                sub = after_bracket[1][1:]
                return ValuePath(text, And(inner, self._attr_exp(sub)))
            return ValuePath(text, inner)
        return self._attr_exp(text)

    def _attr_exp(self, text: str) -> Node:
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
