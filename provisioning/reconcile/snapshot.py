"""What Roster holds, as the planner sees it: one tuple per person, with lookup indexes.

``provisioning.imports.selectors.load_snapshot`` loads the snapshot in one
query; the tuple positions below follow its ``SNAPSHOT_FIELDS``. Also here:
the staff rule (sources never change someone who holds a staff role) and how
a snapshot person is named in messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Snapshot tuple positions (see provisioning.imports.selectors.SNAPSHOT_FIELDS).
ID, EMAIL, EXT, FIRST, LAST, FULL, MANAGER, TITLE, DEPT, PHONE, LOCATION = range(11)
STATUS, CLAIMED, VERSION, SOURCE, ROLE, START = 11, 12, 13, 14, 15, 16
# The position of each attribute a record sets directly.
FIELD_POS = {
    "email": EMAIL,
    "external_id": EXT,
    "first_name": FIRST,
    "last_name": LAST,
    "full_name": FULL,
    "job_title": TITLE,
    "department": DEPT,
    "phone_number": PHONE,
    "location": LOCATION,
    "start_date": START,
}
DEACTIVATED = "deactivated"
STAFF_ROLE_LABELS = {
    "admin": "System administrator",
    "account_manager": "Account manager",
    "auditor": "Auditor",
}


def staff_skip_reason(person: tuple[Any, ...]) -> str | None:
    """Why a source may not change this snapshot person (a staff member), or None.

    Only System administrators change staff, in Roster: a spreadsheet or a
    directory that renames an administrator's email could otherwise take
    over their account.
    """
    role = person[ROLE] if len(person) > ROLE else ""
    if not role:
        return None
    return (
        f"{person[FULL] or person[EMAIL]} holds the {STAFF_ROLE_LABELS.get(role, role)} role "
        "in Roster, so imports and identity providers do not change them. A System "
        "administrator can change them in Roster."
    )


@dataclass
class Snapshot:
    """The people Roster holds, as tuples keyed by id, with lookup indexes."""

    people: dict[int, tuple[Any, ...]]
    by_email: dict[str, int]
    by_external_id: dict[str, int]
    allowed_domains: frozenset[str] = frozenset()
    max_lengths: dict[str, int] = field(default_factory=dict)
    # The provider's immutable id -> person id, for the source being planned
    # (``ExternalRecord.source_id`` is matched first).
    by_source_id: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[Any, ...]],
        *,
        allowed_domains: Iterable[str] = (),
        max_lengths: dict[str, int] | None = None,
    ) -> Snapshot:
        people: dict[int, tuple[Any, ...]] = {}
        by_email: dict[str, int] = {}
        by_ext: dict[str, int] = {}
        for row in rows:
            people[row[ID]] = row
            by_email[row[EMAIL].lower()] = row[ID]
            if row[EXT]:
                by_ext[row[EXT]] = row[ID]
        return cls(
            people,
            by_email,
            by_ext,
            frozenset(d.lower() for d in allowed_domains),
            max_lengths or {},
        )


def describe_person(person: tuple[Any, ...]) -> str:
    """Name a snapshot person in a message: "Full Name <email>", or the email."""
    name = person[FULL] or f"{person[FIRST]} {person[LAST]}".strip()
    return f"{name} <{person[EMAIL]}>" if name else person[EMAIL]
