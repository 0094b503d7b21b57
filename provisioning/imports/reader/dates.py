"""Reading a start date column: the spellings HR exports use, turned into
YYYY-MM-DD, with one rule for slash dates that could be read two ways.

Accepted: ISO dates (2025-09-01, also with a time of day or slashes,
2025/09/01), day-first dates with dots or dashes (01.09.2025, 01-09-2025),
slash dates (see below), dates with a month name (1 Sep 2025, Sep 1, 2025,
01-Sep-25), and Excel serial numbers (45901) when a workbook cell holds a
number rather than a date. Real Excel date cells reach this module already
as ISO text (``xlsx_format.cell_text``). Two-digit years are 2000-2069 up to
69, else 1900s.

Slash dates (09/01/2025) are read month first (MM/DD/YYYY), as US tools
write them, unless a date in the same column only makes sense day first
(its first number is over 12, as in 25/09/2025) and none only makes sense
month first: then the whole column is read day first (DD/MM/YYYY). A date
that fits neither reading, or a column that holds both kinds, is a row
error naming the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{2}|\d{4})\.?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")
_NAMED_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
)
# Excel's day 0 (it counts 1900 as a leap year, so serials from March 1900 on
# are days since this date).
_EXCEL_EPOCH = date(1899, 12, 30)
_EARLIEST, _LATEST = date(1900, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class DateReading:
    """How a column's slash dates are read, and the note the preview shows."""

    day_first: bool
    note: str = ""


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= 69 else 1900
    return year


def slash_reading(values: Iterable[str], header: str) -> DateReading:
    """Decide whether the slash dates of one column are day first."""
    day_first_only = month_first_only = ambiguous = ""
    for value in values:
        match = _SLASH.match(value)
        if not match:
            continue
        first, second = int(match[1]), int(match[2])
        if first > 12 >= second:
            day_first_only = day_first_only or value
        elif second > 12 >= first:
            month_first_only = month_first_only or value
        elif first != second and first <= 12 and second <= 12:
            ambiguous = ambiguous or value
    if day_first_only and not month_first_only:
        return DateReading(
            True,
            f"Dates in “{header}” were read day first (DD/MM/YYYY), because some of them, "
            f"such as {day_first_only}, only make sense that way.",
        )
    if ambiguous:
        return DateReading(
            False,
            f"Dates in “{header}” such as {ambiguous} were read month first (MM/DD/YYYY), "
            "as US tools write them. Write dates as YYYY-MM-DD to avoid any doubt.",
        )
    return DateReading(False)


def parse_date(text: str, header: str, reading: DateReading) -> tuple[str, str]:
    """Return (YYYY-MM-DD or "", problem) for one cell; blank gives ("", "")."""
    value = text.strip()
    if not value:
        return "", ""
    parsed = _parse(value, reading)
    if parsed is None:
        hint = "DD/MM/YYYY, as other dates in this column" if reading.day_first else "MM/DD/YYYY"
        return "", (
            f"“{value}” in the {header} column is not a date Roster understands. Write it "
            f"as YYYY-MM-DD (for example 2025-09-01), DD.MM.YYYY or {hint}."
        )
    if not _EARLIEST <= parsed <= _LATEST:
        return "", f"“{value}” in the {header} column is not a plausible start date."
    return parsed.isoformat(), ""


def _parse(value: str, reading: DateReading) -> date | None:
    try:
        if match := _ISO.match(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _SLASH.match(value):
            first, second = int(match[1]), int(match[2])
            day, month = (first, second) if reading.day_first else (second, first)
            return date(_year(match[3]), month, day)
        if match := _DAY_FIRST.match(value):
            return date(_year(match[3]), int(match[2]), int(match[1]))
        if _SERIAL.match(value):
            return _EXCEL_EPOCH + timedelta(days=int(float(value)))
    except (ValueError, OverflowError):
        return None
    for pattern in _NAMED_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None
