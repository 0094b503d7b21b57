"""Demo groups beside the demo people, so the Groups pages have something to show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts.actors import Actor
from accounts.groups import services as group_services
from accounts.models import Group, Person

# Rule-based groups: a name, a description and the one condition they test.
RULE_GROUPS: tuple[tuple[str, str, str, str], ...] = (
    ("Engineering", "Everyone in the Engineering department.", "department", "Engineering"),
    ("Sales", "Everyone in the Sales department.", "department", "Sales"),
    ("London office", "Everyone based in London.", "location", "London"),
)
LEADERSHIP = "Leadership team"


def seed_demo_groups(leader_ids: Sequence[int], *, by: Person | Actor) -> list[Group]:
    """Create the demo groups that do not exist yet; return those created.

    Three rule-based groups (two departments, one office) compute their
    members at once; the static leadership team holds ``leader_ids``.
    """
    taken = {name.lower() for name in Group.objects.values_list("name", flat=True)}
    created: list[Group] = []
    for name, description, attribute, value in RULE_GROUPS:
        if name.lower() in taken:
            continue
        rule: dict[str, Any] = {
            "match": "all",
            "conditions": [{"attribute": attribute, "operator": "is", "value": value}],
        }
        created.append(
            group_services.create_group(
                name=name, description=description, kind=Group.Kind.RULE, rule=rule, by=by
            )
        )
    if LEADERSHIP.lower() not in taken and leader_ids:
        created.append(
            group_services.create_group(
                name=LEADERSHIP,
                description="The chief executive and the head of each department.",
                member_ids=leader_ids,
                by=by,
            )
        )
    return created
