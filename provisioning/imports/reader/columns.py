"""Matching a file's headers to attributes: which column each attribute is
read from, the notes the preview shows on each column, and header problems."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any

from provisioning.imports.reader.headers import (
    FILL_IN_ATTRIBUTES,
    HEADER_TIER,
    HEADER_TO_ATTRIBUTE,
    INVERTED_HEADERS,
    attribute_label,
    normalise_header,
)
from provisioning.records import RECORD_ATTRIBUTES


@dataclass(frozen=True)
class Column:
    """One column of the file and what Roster does with it."""

    index: int
    header: str
    attribute: str | None
    # known (recognised header), mapped (chosen by the user), ignored (chosen
    # by the user), unknown (not imported: holds no Roster attribute)
    state: str
    suggestion: str = ""
    # What the preview says about the column ("Used when … is blank").
    note: str = ""
    # Preference among the columns of one attribute: lower is preferred.
    rank: int = 0
    # A "Block sign in" column: Yes means not active.
    inverted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "header": self.header,
            "attribute": self.attribute,
            "state": self.state,
            "suggestion": self.suggestion,
            "note": self.note,
            "rank": self.rank,
            "inverted": self.inverted,
        }


@dataclass(frozen=True)
class SheetError:
    """A problem with the file as a whole or with one cell."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key, list(HEADER_TO_ATTRIBUTE), n=1, cutoff=0.75)
    return attribute_label(HEADER_TO_ATTRIBUTE[close[0]]) if close else ""


def match_columns(
    headers: list[str], mapping: dict[str, str | None] | None = None
) -> tuple[list[Column], list[SheetError]]:
    """Match each header to an attribute; return the columns and the header problems.

    ``mapping`` overrides the match per header (as written in the file): an
    attribute name, or None to ignore the column. A column that holds no
    attribute is not imported (state "unknown", with a suggestion when its
    header is close to a known one) and is no problem: only a missing email
    column, a header written twice and two equally preferred columns for one
    attribute are.
    """
    mapping = mapping or {}
    normalised_mapping = {normalise_header(k): v for k, v in mapping.items()}
    columns: list[Column] = []
    errors: list[SheetError] = []
    seen_headers: dict[str, int] = {}
    for index, header in enumerate(headers):
        header = str(header or "").strip()
        key = normalise_header(header)
        letter = column_letter(index)
        if not header:
            columns.append(Column(index, header, None, "ignored"))
            continue
        if key in seen_headers:
            errors.append(
                SheetError(
                    1,
                    header,
                    f"The column “{header}” appears twice (columns "
                    f"{column_letter(seen_headers[key])} and {letter}). Keep only one.",
                )
            )
            columns.append(Column(index, header, None, "ignored"))
            continue
        seen_headers[key] = index
        if header in mapping or key in normalised_mapping:
            chosen = mapping[header] if header in mapping else normalised_mapping[key]
            if chosen is None:
                columns.append(Column(index, header, None, "ignored"))
            elif chosen not in RECORD_ATTRIBUTES:
                errors.append(
                    SheetError(1, header, f"“{chosen}” is not an attribute Roster knows.")
                )
                columns.append(Column(index, header, None, "unknown"))
            else:
                columns.append(Column(index, header, chosen, "mapped"))
            continue
        attribute = HEADER_TO_ATTRIBUTE.get(key)
        if attribute:
            columns.append(
                Column(
                    index,
                    header,
                    attribute,
                    "known",
                    rank=HEADER_TIER[key],
                    inverted=key in INVERTED_HEADERS,
                )
            )
            continue
        columns.append(Column(index, header, None, "unknown", _suggestion(key)))
    columns = _choose_preferred(columns, errors)
    if not any(c.attribute == "email" for c in columns):
        errors.append(
            SheetError(
                1,
                "Email",
                "The file has no Email column. Add one (the header can be “Email” or "
                "“Email Address”) with each person's work email.",
            )
        )
    return columns, errors


def _choose_preferred(columns: list[Column], errors: list[SheetError]) -> list[Column]:
    """Decide, for each attribute held by several columns, which one is read."""
    by_attribute: dict[str, list[Column]] = {}
    for column in columns:
        if column.attribute:
            by_attribute.setdefault(column.attribute, []).append(column)
    manager_columns = by_attribute.get("manager_email", []) + by_attribute.get(
        "manager_external_id", []
    )
    replaced: dict[int, Column] = {}
    for attribute, cols in by_attribute.items():
        cols = sorted(cols, key=lambda c: (c.rank, c.index))
        best = cols[0].rank
        preferred = [c for c in cols if c.rank == best]
        label = attribute_label(attribute)
        if len(preferred) > 1:
            names = " and ".join(f"“{c.header}”" for c in preferred)
            errors.append(
                SheetError(
                    1,
                    preferred[1].header,
                    f"The columns {names} both hold {label}. "
                    "Ignore one of them or choose another attribute for it.",
                )
            )
            continue
        first = preferred[0]
        if attribute == "manager_email" and first.rank > 0:
            # "Manager"/"Supervisor" often hold a name: read only when the file
            # has no other column naming the manager.
            others = [c for c in manager_columns if c.rank == 0]
            if others:
                for column in cols:
                    replaced[column.index] = replace(
                        column,
                        attribute=None,
                        state="unknown",
                        note=f"Not imported: the manager is read from “{others[0].header}”.",
                    )
                continue
        later = cols[1:]
        if not later:
            continue
        if attribute in FILL_IN_ATTRIBUTES:
            names = ", then ".join(f"“{c.header}”" for c in later)
            replaced[first.index] = replace(
                first, note=f"{label} is read from this column; blank cells use {names}."
            )
            previous = first
            for column in later:
                replaced[column.index] = replace(
                    column, note=f"{label} when “{previous.header}” is blank."
                )
                previous = column
        else:
            for column in later:
                replaced[column.index] = replace(
                    column,
                    attribute=None,
                    state="unknown",
                    note=f"Not imported: {label} is read from “{first.header}”.",
                )
    return [replaced.get(c.index, c) for c in columns]
