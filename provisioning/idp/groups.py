"""Groups as an identity provider holds them, in the form both edge clients return
(``entra_groups``, ``google_groups``) and the group planner reads.

Nested groups are not expanded: a group inside a group is skipped and counted
(``nested``), so its members come in only through groups they belong to
directly, or through the nested group itself when it is in scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GroupSummary:
    """One group as the provider lists it, for choosing which groups come in."""

    key: str
    name: str
    email: str = ""
    description: str = ""
    member_count: int | None = None


@dataclass
class DirectoryGroup:
    """One group with its direct members, by the provider's user ids."""

    key: str
    name: str
    description: str = ""
    email: str = ""
    # Provider ids of member users.
    members: set[str] = field(default_factory=set)
    # Emails of members outside the directory (Google EXTERNAL members).
    external_emails: set[str] = field(default_factory=set)
    # Google CUSTOMER member: everyone in the domain belongs.
    everyone: bool = False
    # Nested groups among the direct members (skipped).
    nested: set[str] = field(default_factory=set)
    # Devices, service principals, contacts: not people, ignored.
    others: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "email": self.email,
            "members": sorted(self.members),
            "external_emails": sorted(self.external_emails),
            "everyone": self.everyone,
            "nested": sorted(self.nested),
            "others": self.others,
        }

    @classmethod
    def from_json(cls, key: str, data: Mapping[str, Any]) -> DirectoryGroup:
        return cls(
            key=key,
            name=data.get("name") or "",
            description=data.get("description") or "",
            email=data.get("email") or "",
            members=set(data.get("members") or ()),
            external_emails=set(data.get("external_emails") or ()),
            everyone=bool(data.get("everyone")),
            nested=set(data.get("nested") or ()),
            others=int(data.get("others") or 0),
        )


@dataclass
class GroupRead:
    """What one read of the provider's groups found: the groups in scope, complete."""

    groups: dict[str, DirectoryGroup] = field(default_factory=dict)
    delta_link: str = ""
    incremental: bool = False
    requests: int = 0


def in_scope(key: str, *, chosen: set[str] | None) -> bool:
    """Whether a group is in scope: every group when ``chosen`` is None."""
    return chosen is None or key in chosen


__all__ = ["DirectoryGroup", "GroupRead", "GroupSummary", "in_scope"]
