"""Membership rules of rule-based groups: validation and one set-based query.

A rule is JSON::

    {"match": "all" | "any",
     "conditions": [
        {"attribute": "department", "operator": "is", "value": "Engineering"},
        {"match": "any", "conditions": [...]},          # nested and/or
     ]}

``rule_q`` turns a validated rule into one ``Q`` over people, so evaluating
a group is a single query however many people it holds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.db.models.expressions import RawSQL

from accounts.groups.exceptions import InvalidRule
from accounts.models import Person, PersonStatus

MAX_CONDITIONS = 50
MAX_DEPTH = 4
TEXT_OPERATORS = ("is", "is_not", "in", "contains")


@dataclass(frozen=True)
class Attribute:
    """An attribute a rule may test: its label and the operators it accepts."""

    label: str
    operators: tuple[str, ...]


ATTRIBUTES: dict[str, Attribute] = {
    "department": Attribute("Department", TEXT_OPERATORS),
    "location": Attribute("Location", TEXT_OPERATORS),
    "job_title": Attribute("Job title", TEXT_OPERATORS),
    "status": Attribute("Status", ("is", "is_not", "in")),
    "manager": Attribute("Manager (direct reports)", ("is",)),
    "reports_to": Attribute("Reporting line (everyone under)", ("is",)),
}
OPERATOR_LABELS = {
    "is": "is",
    "is_not": "is not",
    "in": "is one of",
    "contains": "contains",
    "before": "is before",
    "after": "is after",
}


def _has_start_date() -> bool:
    return any(f.name == "start_date" for f in Person._meta.get_fields())


def attributes() -> dict[str, Attribute]:
    """Return the attributes rules may test (start date once people have one)."""
    found = dict(ATTRIBUTES)
    if _has_start_date():
        found["start_date"] = Attribute("Start date", ("before", "after"))
    return found


def validate_rule(rule: Any) -> dict[str, Any]:
    """Return ``rule`` in canonical form; raise InvalidRule saying what is wrong."""
    if not isinstance(rule, dict):
        raise InvalidRule("A rule must be an object with 'match' and 'conditions'.")
    clean = _validate_node(rule, depth=1, counter=[0])
    if not clean["conditions"]:
        raise InvalidRule("A rule needs at least one condition.")
    return clean


def _validate_node(node: Any, *, depth: int, counter: list[int]) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise InvalidRule("Each condition must be an object.")
    if "conditions" in node or "match" in node:
        if depth > MAX_DEPTH:
            raise InvalidRule(f"Rules may nest at most {MAX_DEPTH} levels deep.")
        match = node.get("match", "all")
        if match not in ("all", "any"):
            raise InvalidRule(f"'match' must be 'all' or 'any', not {match!r}.")
        conditions = node.get("conditions")
        if not isinstance(conditions, list):
            raise InvalidRule("'conditions' must be a list.")
        clean = []
        for index, condition in enumerate(conditions):
            try:
                clean.append(_validate_node(condition, depth=depth + 1, counter=counter))
            except InvalidRule as exc:
                # Say which condition is at fault, for editors that show it there.
                exc.path = (index, *exc.path)
                raise
        return {"match": match, "conditions": clean}
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise InvalidRule(f"A rule may hold at most {MAX_CONDITIONS} conditions.")
    return _validate_condition(node)


def _validate_condition(node: dict[str, Any]) -> dict[str, Any]:
    known = attributes()
    name = node.get("attribute")
    if not isinstance(name, str) or name not in known:
        choices = ", ".join(sorted(known))
        raise InvalidRule(f"Unknown attribute {name!r}: rules can test {choices}.")
    operator = node.get("operator", "is")
    if operator not in known[name].operators:
        allowed = ", ".join(f"'{OPERATOR_LABELS[o]}'" for o in known[name].operators)
        known_op = isinstance(operator, str) and operator in OPERATOR_LABELS
        shown = f"'{OPERATOR_LABELS[operator]}'" if known_op else repr(operator)
        raise InvalidRule(f"{known[name].label} cannot use {shown}: use {allowed}.")
    value = node.get("value")
    if _has_nul(value) or _has_nul(operator):
        # PostgreSQL's jsonb and text refuse NUL; no attribute can hold one.
        raise InvalidRule("Values cannot contain the NUL character.")
    if operator == "in":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InvalidRule(f"{known[name].label} 'is one of' needs a list of values.")
        value = [v.strip() for v in value]
    elif name in ("manager", "reports_to"):
        value = _person_id(value, known[name].label)
    elif name == "start_date":
        try:
            value = datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidRule(
                f"Start date needs a date such as 2026-01-31, not {value!r}."
            ) from None
    elif not isinstance(value, str):
        raise InvalidRule(f"{known[name].label} needs a text value.")
    else:
        value = value.strip()
    if name == "status":
        for status in value if isinstance(value, list) else [value]:
            if status not in PersonStatus.values:
                raise InvalidRule(
                    f"Unknown status {status!r}: use {', '.join(PersonStatus.values)}."
                )
    return {"attribute": name, "operator": operator, "value": value}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _person_id(value: Any, label: str) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise InvalidRule(f"{label} needs a person's id, not {value!r}.") from None
    if not Person.objects.filter(pk=pk).exists():
        raise InvalidRule(f"{label}: no person with id {pk}.")
    return pk


# Everyone under a manager, at any depth. UNION (not UNION ALL) stops at
# people already seen, so a cycle in bad data cannot loop forever.
_REPORTING_LINE_SQL = (
    "WITH RECURSIVE chain(id) AS ("
    " SELECT id FROM accounts_person WHERE manager_id = %s"
    " UNION SELECT p.id FROM accounts_person p JOIN chain c ON p.manager_id = c.id"
    ") SELECT id FROM chain"
)


def rule_q(rule: dict[str, Any]) -> Q:
    """Return the ``Q`` over Person that a validated ``rule`` selects."""
    parts = [
        rule_q(c) if "conditions" in c else _condition_q(c) for c in rule.get("conditions", [])
    ]
    if not parts:
        return Q(pk__in=[])
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if rule.get("match", "all") == "all" else (combined | part)
    return combined


def _condition_q(condition: dict[str, Any]) -> Q:
    name, operator, value = condition["attribute"], condition["operator"], condition["value"]
    if name == "manager":
        return Q(manager_id=value)
    if name == "reports_to":
        return Q(pk__in=RawSQL(_REPORTING_LINE_SQL, [value]))
    if name == "start_date":
        return Q(**{f"start_date__{'lt' if operator == 'before' else 'gt'}": value})
    if name == "status":
        values = value if isinstance(value, list) else [value]
        q = Q(status__in=values)
        return ~q if operator == "is_not" else q
    if operator == "in":
        q = Q()
        for v in value:
            q |= Q(**{f"{name}__iexact": v})
        return q
    if operator == "contains":
        return Q(**{f"{name}__icontains": value})
    q = Q(**{f"{name}__iexact": value})
    return ~q if operator == "is_not" else q


def uses_reporting_line(rule: dict[str, Any]) -> bool:
    """Tell whether ``rule`` depends on other people's rows (a manager's chain)."""
    for c in rule.get("conditions", []):
        if "conditions" in c:
            if uses_reporting_line(c):
                return True
        elif c["attribute"] == "reports_to":
            return True
    return False


def describe_rule(rule: dict[str, Any]) -> str:
    """Return ``rule`` in words, e.g. "department is Engineering and location is Paris"."""
    known = attributes()
    words = []
    for c in rule.get("conditions", []):
        if "conditions" in c:
            words.append(f"({describe_rule(c)})")
            continue
        label = known[c["attribute"]].label if c["attribute"] in known else c["attribute"]
        value = ", ".join(c["value"]) if isinstance(c["value"], list) else c["value"]
        words.append(f"{label.lower()} {OPERATOR_LABELS[c['operator']]} {value}")
    return (" and " if rule.get("match", "all") == "all" else " or ").join(words)


# Person columns ``matches`` reads (``start_date`` too when people have one).
MATCH_FIELDS = ("pk", "full_name", "department", "location", "job_title", "status", "manager_id")


def matches(rule: dict[str, Any], person: dict[str, Any]) -> bool:
    """Tell whether ``person`` (a dict of MATCH_FIELDS) satisfies ``rule``, as ``rule_q`` would.

    For rules without a reporting line (``uses_reporting_line``): it lets a
    recompute of a few changed people evaluate every group in memory.
    Text compares with SQL's UPPER semantics, as iexact and icontains do.
    """
    results = (
        matches(c, person) if "conditions" in c else _condition_matches(c, person)
        for c in rule.get("conditions", [])
    )
    if not rule.get("conditions"):
        return False
    return all(results) if rule.get("match", "all") == "all" else any(results)


def _condition_matches(condition: dict[str, Any], person: dict[str, Any]) -> bool:
    name, operator, value = condition["attribute"], condition["operator"], condition["value"]
    if name == "manager":
        return bool(person.get("manager_id") == value)
    if name == "start_date":
        current = person.get("start_date")
        if current is None:
            return False
        wanted = datetime.date.fromisoformat(value)
        return bool(current < wanted if operator == "before" else current > wanted)
    if name == "status":
        inside = person["status"] in (value if isinstance(value, list) else [value])
        return not inside if operator == "is_not" else inside
    text = (person.get(name) or "").upper()
    if operator == "in":
        return text in {v.upper() for v in value}
    if operator == "contains":
        return value.upper() in text
    equal = text == value.upper()
    return not equal if operator == "is_not" else equal
