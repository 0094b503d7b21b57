"""Evaluate SCIM comparisons in memory: one comparison, and a value filter against
one element of a multi-valued attribute (PATCH ``emails[type eq "work"]``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from provisioning.scim_server.errors import invalid_path
from provisioning.scim_server.filters.syntax import And, Node, Not, Or, Present, ValuePath


def matches(actual: Any, op: str, value: Any) -> bool:
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
        return bool({"gt": a > v, "ge": a >= v, "lt": a < v, "le": a <= v}[op])
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
        return matches(actual, "pr", None)
    if isinstance(actual, datetime):
        actual = actual.isoformat()
    return matches(actual, node.op, node.value)
