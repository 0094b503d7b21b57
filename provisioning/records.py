"""The external person record every source yields (spreadsheet rows, directory users).

This module imports nothing from Django or the rest of Roster, so edge clients
(Google, Entra) can build records without touching the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Attributes a record can carry, in template order. ``manager_email`` and
# ``manager_external_id`` both point at the person's manager; ``is_active``
# is None when the source does not say.
RECORD_ATTRIBUTES = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager_email",
    "manager_external_id",
    "job_title",
    "department",
    "phone_number",
    "location",
    "start_date",
    "is_active",
    "groups",
)
# How each attribute is called to people: in previews, the template and
# exports (imports also accept many other spellings of these headers).
ATTRIBUTE_LABELS: dict[str, str] = {
    "email": "Email",
    "external_id": "Employee ID",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "manager_email": "Manager email",
    "manager_external_id": "Manager employee ID",
    "job_title": "Job title",
    "department": "Department",
    "phone_number": "Phone number",
    "location": "Location",
    "start_date": "Start date",
    "is_active": "Status",
    "groups": "Groups",
}


@dataclass(frozen=True, slots=True)
class ExternalRecord:
    """One person as a source describes them; blank text is "".

    ``row`` is where the record came from (spreadsheet row number, or a
    position in a directory listing); ``raw`` keeps the source's own cells or
    payload for error reports.
    """

    email: str = ""
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    manager_email: str = ""
    manager_external_id: str = ""
    job_title: str = ""
    department: str = ""
    phone_number: str = ""
    location: str = ""
    # YYYY-MM-DD, or "" (the reader turns other spellings into this).
    start_date: str = ""
    is_active: bool | None = None
    row: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Cells that could not be read (e.g. an unknown Status value): attribute -> message.
    problems: tuple[tuple[str, str], ...] = ()
    # Where a value came from when not the attribute's usual column (a Mobile
    # Phone cell filling a blank Work Phone one): attribute -> header.
    columns: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # The provider's own immutable id of the person (Graph ``id``, Google
    # ``id``); blank for spreadsheets. Matched before the employee ID.
    source_id: str = ""
    # Further phone numbers to use, in order, when ``phone_number`` cannot be
    # read (a directory's mobile number behind an unparseable work number).
    phone_fallbacks: tuple[str, ...] = ()
    # The names of the groups the person belongs to (a spreadsheet's Groups
    # column), trimmed, each once; empty when the cell is blank.
    groups: tuple[str, ...] = ()


class RowView(Mapping[str, str]):
    """A spreadsheet row read as {header: cell} without a dict per row.

    ``positions`` (header -> column index) is shared by every row of a file.
    """

    __slots__ = ("_cells", "_positions")

    def __init__(self, positions: dict[str, int], cells: list[str]) -> None:
        self._positions = positions
        self._cells = cells

    def __getitem__(self, header: str) -> str:
        index = self._positions[header]
        return self._cells[index] if index < len(self._cells) else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)
