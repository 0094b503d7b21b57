"""The plan the reconcile engine returns: actions, rows, options and the deactivation guard.

A ``Plan`` holds one ``PlanRow`` per record (new, update, unchanged,
deactivate, reactivate, skipped, error) plus deactivations of people missing
from a complete list; ``PlanOptions`` says how the records are read. Nothing
here reads or writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provisioning.reconcile.snapshot import (
    DEACTIVATED,
    EMAIL,
    FULL,
    ID,
    STATUS,
    VERSION,
    staff_skip_reason,
)
from provisioning.records import ATTRIBUTE_LABELS


class Action:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    # A change to someone who holds a staff role: sources never make it.
    SKIPPED = "skipped"
    ERROR = "error"

    ALL = ("error", "new", "update", "deactivate", "reactivate", "skipped", "unchanged")
    # The key each action is counted under in ImportJob.counts.
    COUNT_KEYS = {
        "new": "new",
        "update": "updated",
        "unchanged": "unchanged",
        "deactivate": "deactivated",
        "reactivate": "reactivated",
        "skipped": "skipped",
        "error": "errors",
    }


DEFAULT_LABELS = ATTRIBUTE_LABELS


@dataclass(frozen=True)
class PlanOptions:
    """How to read the records: which attributes they carry, and what else to do."""

    source: str = "spreadsheet"
    # Attributes present in the source; others are left as they are.
    attributes: frozenset[str] = frozenset(DEFAULT_LABELS)
    complete_list: bool = False
    # The person applying (never deactivated by their own import).
    actor_id: int | None = None
    # How to name each attribute in messages (the file's own headers).
    labels: dict[str, str] = field(default_factory=dict)
    deactivation_share: float = 0.10
    deactivation_max: int = 50
    # Directory imports: a problem with an optional attribute (phone,
    # manager, location, ...) leaves it empty with a warning instead of
    # rejecting the row; only the email and conflicts with other people reject.
    lenient: bool = False
    # A blank employee ID clears the one Roster holds (a directory says so
    # when it removed it; a spreadsheet's blank cell says nothing).
    clear_blank_ids: bool = False


@dataclass(slots=True)
class PlanRow:
    """What happens to one record (or to one person missing from a complete list)."""

    action: str
    row: int | None
    email: str
    name: str = ""
    person_id: int | None = None
    version: int | None = None
    # field -> [old, new]; "manager" shows emails; "status" for (re)activations
    changes: dict[str, list[Any]] = field(default_factory=dict)
    # ["id", person id] or ["row", row number] or None (no manager); only set
    # when "manager" is in changes.
    manager: list[Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] | None = None
    # Why a skipped row changes nothing.
    reason: str = ""
    # [{"column", "message"}]: optional attributes left empty, and why.
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The provider's immutable id of the person (directory imports).
    source_id: str = ""
    # Spreadsheet imports with a Groups column: {"listed": names in the row,
    # "join": groups the person would join, "leave": groups they would leave}.
    groups: dict[str, list[str]] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "action": self.action, "email": self.email}
        if self.name:
            data["name"] = self.name
        if self.person_id is not None:
            data["person_id"] = self.person_id
            data["version"] = self.version
        if self.changes:
            data["changes"] = self.changes
        if "manager" in self.changes:
            data["manager"] = self.manager
        if self.errors:
            data["errors"] = self.errors
        if self.raw is not None:
            data["raw"] = self.raw
        if self.reason:
            data["reason"] = self.reason
        if self.warnings:
            data["warnings"] = self.warnings
        if self.source_id:
            data["source_id"] = self.source_id
        if self.groups is not None:
            data["groups"] = self.groups
        return data


@dataclass
class Plan:
    """Every planned change, and the figures a preview shows."""

    rows: list[PlanRow]
    source: str
    deactivation_threshold: int
    source_population: int

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Action.COUNT_KEYS.values(), 0)
        for row in self.rows:
            counts[Action.COUNT_KEYS[row.action]] += 1
        return counts

    def by_action(self, action: str) -> list[PlanRow]:
        return [r for r in self.rows if r.action == action]

    @property
    def warned(self) -> list[PlanRow]:
        """Rows imported with optional attributes left empty."""
        return [r for r in self.rows if r.warnings and r.action != Action.ERROR]


def deactivation_threshold(population: int, *, share: float, maximum: int) -> int:
    """How many deactivations an import may make without a typed confirmation."""
    return min(int(population * share), maximum)


def absent_row(person: tuple[Any, ...]) -> PlanRow:
    """The row for a person a complete list no longer mentions: deactivated,
    or skipped with the reason when they hold a staff role."""
    reason = staff_skip_reason(person) or ""
    return PlanRow(
        action=Action.SKIPPED if reason else Action.DEACTIVATE,
        row=None,
        email=person[EMAIL],
        name=person[FULL] or person[EMAIL],
        person_id=person[ID],
        version=person[VERSION],
        changes={"status": [person[STATUS], DEACTIVATED]},
        reason=reason,
    )
