"""From rows of cells to records: find the header row (skipping a template's
marker line), read each attribute from its preferred column, and parse the
status cells."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from accounts.spreadsheets import FORMULA_START
from provisioning.exceptions import FileTooLarge, UnreadableFile
from provisioning.imports.reader.columns import Column, SheetError, match_columns
from provisioning.imports.reader.dates import parse_date, slash_reading
from provisioning.imports.reader.groups import split_groups
from provisioning.imports.reader.headers import NON_ALNUM
from provisioning.imports.reader.sheet import Limits, ParsedSheet
from provisioning.records import ExternalRecord, RowView

_TRUE = frozenset(
    {
        "yes",
        "y",
        "true",
        "t",
        "1",
        "active",
        "enabled",
        "awaitinginvitation",
        "invited",
        # Someone on leave still works here and keeps their account.
        "leave",
        "onleave",
        "leaveofabsence",
    }
)
_FALSE = frozenset(
    {
        "no",
        "n",
        "false",
        "f",
        "0",
        "deactivated",
        "inactive",
        "disabled",
        "suspended",
        "terminated",
        "deprovisioned",
    }
)
# For a "Block sign in" column: Yes blocks (not active), No lets in (active).
_BLOCKED = frozenset({"yes", "y", "true", "t", "1", "blocked"})
_NOT_BLOCKED = frozenset({"no", "n", "false", "f", "0", "notblocked"})

PROGRESS_ROWS = 5000


def records_from_rows(
    rows: Iterator[tuple[int, list[str]]],
    parsed: ParsedSheet,
    mapping: dict[str, str | None] | None,
    limits: Limits,
    on_row: Callable[[int], None] | None = None,
    mapping_for: Callable[[list[str]], dict[str, str | None] | None] | None = None,
) -> None:
    # () once a template's marker line was skipped, then (number, cells).
    header_row: tuple[int, list[str]] | tuple[()] | None = None
    for number, cells in rows:
        if not "".join(cells).strip():
            continue
        if header_row is None and _is_template_marker(cells):
            # e.g. "version:v1.0" above the headers of Entra's bulk template.
            parsed.notes.append(
                f"Row {number} (“{next(c for c in cells if c.strip()).strip()}”) is a "
                "template line, not column headers, so it was skipped."
            )
            header_row = ()
            continue
        header_row = (number, cells)
        break
    if not header_row:
        raise UnreadableFile("The file is empty: it has no header row and no people.")
    headers = [str(c).strip() for c in header_row[1]]
    while headers and not headers[-1]:
        headers.pop()
    parsed.headers = headers
    if not mapping and mapping_for is not None:
        mapping = parsed.found_mapping = mapping_for(headers) or None
    parsed.columns, errors = match_columns(headers, mapping)
    parsed.errors.extend(errors)
    # attribute -> the columns it is read from, preferred first.
    sources: dict[str, list[Column]] = {}
    for column in sorted(parsed.columns, key=lambda c: (c.rank, c.index)):
        if column.attribute:
            sources.setdefault(column.attribute, []).append(column)
    width = len(headers)
    records = parsed.records
    max_rows = limits.max_rows
    positions = {header: index for index, header in enumerate(headers)}
    status_columns = sources.pop("is_active", [])
    group_columns = sources.pop("groups", [])
    text_plan = [(attribute, [c.index for c in cols]) for attribute, cols in sources.items()]
    count = 0
    first_record = len(records)
    for number, cells in rows:
        if not "".join(cells).strip():
            continue
        count += 1
        if on_row is not None and count % PROGRESS_ROWS == 0:
            on_row(count)
        if count > max_rows:
            raise FileTooLarge(
                f"The file has more than {max_rows:,} people; the most Roster imports at "
                "once is that many. Split it into smaller files."
            )
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        values: dict[str, Any] = {}
        filled_from: tuple[tuple[str, str], ...] = ()
        for attribute, indexes in text_plan:
            value = ""
            for position, index in enumerate(indexes):
                value = cells[index]
                if value[:1] == "'" and value[1:].startswith(FORMULA_START):
                    # Written by a neutralising export: the rest is the value as stored.
                    value = value[1:]
                else:
                    value = value.strip()
                if value:
                    if position:
                        filled_from += ((attribute, headers[index]),)
                    break
            values[attribute] = value
        problems: tuple[tuple[str, str], ...] = ()
        if status_columns:
            values["is_active"] = None
            for position, column in enumerate(status_columns):
                active, problem = _read_status(cells[column.index], column)
                if position and (problem or active is not None):
                    filled_from += (("is_active", column.header),)
                if problem:
                    problems = (("is_active", problem),)
                    break
                if active is not None:
                    values["is_active"] = active
                    break
        if group_columns:
            column = group_columns[0]
            values["groups"], problem = split_groups(cells[column.index], column.header)
            if problem:
                problems = (*problems, ("groups", problem))
        records.append(
            ExternalRecord(
                **values,
                row=number,
                raw=RowView(positions, cells),
                problems=problems,
                columns=filled_from,
            )
        )
    parsed.total_rows = count
    if "start_date" in sources:
        _read_start_dates(parsed, first_record, sources["start_date"][0].header)
    if count == 0 and not any(e.row == 1 and "Email column" in e.message for e in parsed.errors):
        parsed.errors.append(
            SheetError(
                2,
                headers[0] if headers else "",
                "The file has a header row but no people below it.",
            )
        )


def _read_start_dates(parsed: ParsedSheet, first: int, header: str) -> None:
    """Turn the start date cells (read as text) into YYYY-MM-DD, or row problems.

    A second pass, because how slash dates are read depends on the whole
    column (``dates.slash_reading``).
    """
    records = parsed.records
    reading = slash_reading((r.start_date for r in records[first:] if r.start_date), header)
    if reading.note:
        parsed.notes.append(reading.note)
    for index in range(first, len(records)):
        record = records[index]
        if not record.start_date:
            continue
        value, problem = parse_date(record.start_date, header, reading)
        problems = (*record.problems, ("start_date", problem)) if problem else record.problems
        records[index] = replace(record, start_date=value, problems=problems)


_MARKER = re.compile(r"^\s*version\s*:\s*v?\d+(\.\d+)*\s*$", re.IGNORECASE)


def _is_template_marker(cells: list[str]) -> bool:
    """Whether a first row is a template's marker line (``version:v1.0,,,``)
    rather than column headers."""
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) == 1 and bool(_MARKER.match(filled[0]))


def _read_status(raw: str, column: Column) -> tuple[bool | None, str]:
    """Return (active or None when blank, problem) for one status cell."""
    text = raw.strip()
    key = NON_ALNUM.sub("", text.casefold())
    if not key:
        return None, ""
    if column.inverted:
        if key in _BLOCKED:
            return False, ""
        if key in _NOT_BLOCKED:
            return True, ""
        return None, (
            f"“{text}” is not a value Roster understands in the {column.header} column. "
            "Use Yes (sign-in blocked: deactivated) or No (active)."
        )
    if key in _TRUE:
        return True, ""
    if key in _FALSE:
        return False, ""
    return None, (
        f"“{text}” is not a status Roster understands in the {column.header} column. "
        "Use Active, Leave, Inactive, Suspended, Terminated or Deactivated (or Yes/No)."
    )
