"""Read people from CSV, XLSX and ODS files, and write spreadsheets safely.

No ORM here: this module turns bytes into ``ExternalRecord`` objects (and rows
back into bytes). Everything that could hurt the server is checked before a
parser runs: the real format is sniffed from the content (not the file name),
zip members are checked for size and compression ratio (zip bombs), XML is
parsed with defusedxml (entity bombs), and rows are counted while streaming.

Decisions, documented for the people who upload files:
- The first non-blank row holds the column headers. Fully blank rows are
  skipped; row numbers are the ones a spreadsheet program shows.
- Every cell is read as text, so leading zeros stay (``00123``). Numbers in
  XLSX cells are written without ``.0``; dates become ISO dates (2024-05-31).
- Formulas are never evaluated: the value Excel saved with the file is used.
- Hidden rows and columns are imported like visible ones. In merged cells the
  value belongs to the top-left cell; the others read as empty.
- XLSX/ODS: the first sheet is read unless another one is chosen.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import IO, Any

from accounts.spreadsheets import FORMULA_START, neutralise
from provisioning.exceptions import FileTooLarge, UnreadableFile
from provisioning.records import ATTRIBUTE_LABELS, RECORD_ATTRIBUTES, ExternalRecord, RowView

# --- columns ----------------------------------------------------------------

# The header each attribute has in the template and in exports.
TEMPLATE_HEADERS: dict[str, str] = ATTRIBUTE_LABELS
TEMPLATE_EXAMPLE: dict[str, str] = {
    "email": "ada.lovelace@example.com",
    "external_id": "00123",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "manager_email": "charles.babbage@example.com",
    "manager_external_id": "",
    "job_title": "Analyst",
    "department": "Engineering",
    "phone_number": "+44 20 7946 0018",
    "location": "London",
    "is_active": "Active",
}

# Header spellings seen in other tools (Google Admin, Microsoft Entra, Okta,
# Workplace, HR systems), compared after ``normalise_header``. Where a file
# has columns from more than one tier of an attribute, the first tier wins
# and the later tiers fill in, row by row, the cells it leaves blank
# (``PREFERENCE``). Email is the exception: a user name column is read as
# the email only when the file has no email column at all.
_ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "email": (
        (
            "email",
            "emailaddress",
            "mail",
            "workemail",
            "workemailaddress",
            "primaryemail",
            "emailid",
            "businessemail",
        ),
        ("username", "userprincipalname", "upn", "login", "signinname"),
    ),
    "external_id": (
        (
            "externalid",
            "employeeid",
            "employeenumber",
            "employeeno",
            "employeecode",
            "empid",
            "workerid",
            "staffid",
            "staffnumber",
            "personnelnumber",
        ),
    ),
    "first_name": (("firstname", "givenname", "forename", "firstnames", "legalfirstname"),),
    "last_name": (("lastname", "surname", "familyname", "legallastname"),),
    "full_name": (("fullname", "displayname", "name", "employeename"),),
    "manager_email": (
        (
            "manageremail",
            "manageremailaddress",
            "managermail",
            "linemanageremail",
            "supervisoremail",
            "supervisoremailaddress",
            "reportstoemail",
        ),
        ("manager", "supervisor", "reportsto", "linemanager"),
    ),
    "manager_external_id": (
        (
            "managerexternalid",
            "manageremployeeid",
            "manageremployeenumber",
            "managerid",
            "linemanageremployeeid",
            "supervisorid",
            "supervisoremployeeid",
            "supervisoremployeenumber",
        ),
    ),
    "job_title": (
        ("jobtitle", "title", "employeetitle", "businesstitle", "position", "positiontitle"),
    ),
    "department": (("department", "dept", "orgdepartment", "departmentname"),),
    "phone_number": (
        (
            "phonenumber",
            "phone",
            "workphone",
            "workphonenumber",
            "businessphone",
            "officephone",
            "primaryphone",
            "telephone",
            "telephonenumber",
        ),
        ("mobile", "mobilephone", "mobilenumber", "mobilephonenumber", "cellphone", "cell"),
    ),
    "location": (
        (
            "location",
            "office",
            "officelocation",
            "worklocation",
            "site",
            "building",
            "officename",
        ),
    ),
    "is_active": (
        (
            "status",
            "isactive",
            "active",
            "accountstatus",
            "accountenabled",
            "enabled",
            "employmentstatus",
            "employeestatus",
            "userstatus",
        ),
        # Yes means the person may NOT sign in: read inverted.
        ("blocksignin", "signinblocked", "blocked", "accountdisabled"),
    ),
}
HEADER_TO_ATTRIBUTE: dict[str, str] = {
    alias: attribute for attribute, tiers in _ALIASES.items() for tier in tiers for alias in tier
}
HEADER_TIER: dict[str, int] = {
    alias: rank for tiers in _ALIASES.values() for rank, tier in enumerate(tiers) for alias in tier
}
# Headers whose Yes means "not active".
INVERTED_HEADERS = frozenset(_ALIASES["is_active"][1])
# Square brackets are annotations of the template ("[Required]",
# "[userPrincipalName]"); parentheses only when they say how to fill the
# column, as "Email (Personal)" names another column than "Email".
_BRACKETED = re.compile(
    r"\s*(\[[^\]\[]*\]|\(\s*(required|optional|yes\s*/\s*no|no\s*/\s*yes|true\s*/\s*false)\s*\))",
    re.IGNORECASE,
)
_TRAILING_WORD = re.compile(r"\s+(required|optional)\s*$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)

MAX_LENGTHS: dict[str, int] = {
    "email": 254,
    "external_id": 255,
    "first_name": 150,
    "last_name": 150,
    "full_name": 300,
    "manager_email": 254,
    "manager_external_id": 255,
    "job_title": 200,
    "department": 200,
    "phone_number": 40,
    "location": 200,
}

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
# Attributes whose later-tier columns fill the blank cells of the preferred
# one; for the others a later tier is read only when no earlier one exists.
FILL_IN_ATTRIBUTES = frozenset({"phone_number", "is_active"})


def normalise_header(header: str) -> str:
    """Return ``header`` lower-cased without punctuation, spaces, bracketed
    parts ("[Required]", "[userPrincipalName]", "(Yes/No)") or a trailing
    "Required"; "#" reads as "number" ("Employee #" is "employeenumber")."""
    text = str(header or "").strip()
    stripped = _TRAILING_WORD.sub("", _BRACKETED.sub("", text)).strip()
    if not _NON_ALNUM.sub("", stripped.replace("#", "number")):
        # Only brackets ("[email]"): read what they hold.
        stripped = re.sub(r"[\[\]()]", " ", text)
    return _NON_ALNUM.sub("", stripped.replace("#", "number").casefold())


def attribute_label(attribute: str) -> str:
    return TEMPLATE_HEADERS.get(attribute, attribute)


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


# --- reading ----------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What a file may hold before it is refused."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 200_000
    max_uncompressed_bytes: int = 400 * 1024 * 1024
    max_compression_ratio: int = 200
    max_cell_chars: int = 32_767
    # Rows are as wide as their last non-empty cell; a value further right
    # than this refuses the file.
    max_columns: int = 500
    # Every cell the reader looks at counts, empty ones included, so the work
    # a file can cause is bounded whatever its declared size.
    max_cells: int = 5_000_000


class _CellBudget:
    """Counts the cells read and refuses a file that holds too many or too wide rows."""

    def __init__(self, limits: Limits) -> None:
        self.max_cells = limits.max_cells
        self.max_columns = limits.max_columns
        self.used = 0

    def spend(self, cells: int, row: int) -> None:
        self.used += cells
        if self.used > self.max_cells:
            raise FileTooLarge(
                f"The file holds more than {self.max_cells:,} cells (reached at row "
                f"{row:,}); the most Roster reads is that many. Delete unused columns "
                "and rows, or split it into smaller files."
            )

    def check_width(self, width: int, row: int) -> None:
        if width > self.max_columns:
            raise FileTooLarge(
                f"Row {row:,} has a value in column {column_letter(width - 1)} (column "
                f"{width:,}); Roster reads at most {self.max_columns:,} columns. Delete "
                "the columns Roster does not need and upload the file again."
            )


@dataclass
class ParsedSheet:
    """What a file held: its columns, records, and the problems found."""

    file_format: str
    headers: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    records: list[ExternalRecord] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    total_rows: int = 0
    sheet_names: list[str] = field(default_factory=list)
    # How many cells were read (empty ones the file holds included).
    cells_read: int = 0
    # What the preview says about how the file was read (a skipped template line).
    notes: list[str] = field(default_factory=list)

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(c.attribute for c in self.columns if c.attribute)

    def column_names(self) -> dict[str, str]:
        """The header each attribute is read from (the preferred one)."""
        names: dict[str, str] = {}
        for column in sorted(self.columns, key=lambda c: (c.rank, c.index)):
            if column.attribute:
                names.setdefault(column.attribute, column.header)
        return names

    @property
    def not_imported(self) -> list[Column]:
        """Columns with a header whose cells Roster does not read."""
        return [c for c in self.columns if c.header and c.state == "unknown"]


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}
_FORMAT_NAMES = {"csv": "a CSV file", "xlsx": "an Excel workbook (.xlsx)", "ods": "an ODS sheet"}


def sniff_format(head: bytes, zip_names: set[str] | None = None) -> str:
    """Return "csv", "xlsx" or "ods" from the content's first bytes (and zip members)."""
    if head.startswith(_ZIP):
        names = zip_names or set()
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names and "content.xml" in names:
            return "ods"
        raise UnreadableFile(
            "This file is a zip archive, not a spreadsheet. Upload a CSV, XLSX or ODS file."
        )
    if head.startswith(_OLE2):
        raise UnreadableFile(
            "This is an old Excel 97-2003 workbook (.xls). Save it as .xlsx or CSV and upload that."
        )
    if head.startswith(b"%PDF"):
        raise UnreadableFile("This file is a PDF, not a spreadsheet.")
    return "csv"


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> set[str]:
    infos = archive.infolist()
    if len(infos) > 10_000:
        raise UnreadableFile("This workbook holds too many parts to be a real spreadsheet.")
    total = 0
    for info in infos:
        total += info.file_size
        if (
            info.file_size > 1024 * 1024
            and info.file_size > info.compress_size * limits.max_compression_ratio
        ):
            raise UnreadableFile(
                "This workbook expands to far more data than its size suggests "
                "(a “zip bomb”), so Roster will not open it."
            )
    if total > limits.max_uncompressed_bytes:
        raise FileTooLarge(
            f"This workbook expands to {total // (1024 * 1024):,} MB, more than the "
            f"{limits.max_uncompressed_bytes // (1024 * 1024):,} MB Roster reads."
        )
    return {info.filename for info in infos}


def read_spreadsheet(
    stream: IO[bytes],
    *,
    filename: str = "",
    sheet: str | None = None,
    mapping: dict[str, str | None] | None = None,
    limits: Limits | None = None,
    on_row: Callable[[int], None] | None = None,
) -> ParsedSheet:
    """Read every row of ``stream`` into records; raise UnreadableFile/FileTooLarge.

    Problems with headers and cells are returned in ``errors`` (row 1 for
    headers) rather than raised, so a preview can list them all. For a
    workbook, ``sheet_names`` lists every sheet it holds. The work is bounded
    by the cells the file really holds (``limits.max_cells`` and
    ``limits.max_columns``), never by the size a workbook declares.
    ``on_row`` is called with the row number every ``PROGRESS_ROWS`` rows.
    """
    limits = limits or Limits()
    file_format = _checked_format(stream, filename, limits)
    parsed = ParsedSheet(file_format=file_format)
    budget = _CellBudget(limits)
    if file_format == "csv":
        rows = _csv_rows(stream.read(), limits, budget)
    elif file_format == "xlsx":
        rows = _xlsx_rows(stream, sheet, parsed, budget)
    else:
        rows = _ods_rows(stream, sheet, parsed, budget)
    try:
        _records_from_rows(rows, parsed, mapping, limits, on_row)
    finally:
        parsed.cells_read = budget.used
    return parsed


def read_sheet_names(
    stream: IO[bytes], *, filename: str = "", limits: Limits | None = None
) -> list[str]:
    """Return the names of a workbook's sheets in order (empty for a CSV file).

    Runs the same checks as ``read_spreadsheet`` first and reads no rows.
    Raises UnreadableFile/FileTooLarge.
    """
    limits = limits or Limits()
    file_format = _checked_format(stream, filename, limits)
    if file_format == "xlsx":
        return _xlsx_sheet_names(stream)
    if file_format == "ods":
        return _ods_sheet_names(stream)
    return []


def _checked_format(stream: IO[bytes], filename: str, limits: Limits) -> str:
    """Return "csv", "xlsx" or "ods" once the file passed every safety check;
    leave ``stream`` at its start."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_bytes:
        raise FileTooLarge(
            f"The file is {size / (1024 * 1024):.1f} MB; the most Roster accepts is "
            f"{limits.max_bytes / (1024 * 1024):.0f} MB. Split it into smaller files."
        )
    if size == 0:
        raise UnreadableFile("The file is empty.")
    head = stream.read(8)
    stream.seek(0)
    zip_names = None
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(stream) as archive:
                zip_names = _check_zip(archive, limits)
                if "mimetype" in zip_names and archive.read("mimetype").strip() != _ODS_MIME:
                    zip_names.discard("content.xml")
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("This file looks like a workbook but is damaged.") from exc
        stream.seek(0)
    file_format = sniff_format(head, zip_names)
    extension = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    expected = {
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".ods": "ods",
        **dict.fromkeys(_TEXT_EXTENSIONS, "csv"),
    }.get(extension)
    if expected and expected != file_format:
        raise UnreadableFile(
            f"“{filename}” is named like {_FORMAT_NAMES[expected]} but its content is "
            f"{_FORMAT_NAMES[file_format]}. Save it again in the right format, or rename it."
        )
    return file_format


PROGRESS_ROWS = 5000


def _records_from_rows(
    rows: Iterator[tuple[int, list[str]]],
    parsed: ParsedSheet,
    mapping: dict[str, str | None] | None,
    limits: Limits,
    on_row: Callable[[int], None] | None = None,
) -> None:
    header_row = None
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
    text_plan = [(attribute, [c.index for c in cols]) for attribute, cols in sources.items()]
    count = 0
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
    if count == 0 and not any(e.row == 1 and "Email column" in e.message for e in parsed.errors):
        parsed.errors.append(
            SheetError(
                2,
                headers[0] if headers else "",
                "The file has a header row but no people below it.",
            )
        )


_MARKER = re.compile(r"^\s*version\s*:\s*v?\d+(\.\d+)*\s*$", re.IGNORECASE)


def _is_template_marker(cells: list[str]) -> bool:
    """Whether a first row is a template's marker line (``version:v1.0,,,``)
    rather than column headers."""
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) == 1 and bool(_MARKER.match(filled[0]))


def _read_status(raw: str, column: Column) -> tuple[bool | None, str]:
    """Return (active or None when blank, problem) for one status cell."""
    text = raw.strip()
    key = _NON_ALNUM.sub("", text.casefold())
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


# CSV ------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        sample = data[:4096]
        if b"\x00" in sample:
            odd_nuls = sample[1::2].count(0)
            even_nuls = sample[0::2].count(0)
            if odd_nuls > len(sample) // 4 and even_nuls == 0:
                encodings = ["utf-16-le"]
            elif even_nuls > len(sample) // 4 and odd_nuls == 0:
                encodings = ["utf-16-be"]
            else:
                raise UnreadableFile(
                    "This file is not text, so it cannot be a CSV file. Upload a CSV, "
                    "XLSX or ODS file."
                )
        else:
            encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableFile(
        "Roster could not read this file as text. Save it as “CSV UTF-8” and upload it again."
    )


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    first_line = sample.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        if dialect.delimiter in first_line:
            return dialect.delimiter
    except csv.Error:
        pass
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes, limits: Limits, budget: _CellBudget) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    del data
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars + 1)
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = str(exc)
                if "field larger than field limit" in message:
                    raise UnreadableFile(
                        f"Row {number + 1} has a cell longer than {limits.max_cell_chars:,} "
                        "characters, which no attribute can hold."
                    ) from exc
                raise UnreadableFile(f"Row {number + 1} cannot be read: {message}.") from exc
            number += 1
            budget.spend(len(cells), number)
            while cells and not cells[-1]:
                cells.pop()
            budget.check_width(len(cells), number)
            yield number, cells
    finally:
        csv.field_size_limit(old_limit)


# XLSX -----------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """Return a cell value as the text a person sees (no ``.0``, ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e20:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _refused_xml_in_chain(exc: BaseException | None, kind: type[Exception]) -> bool:
    # openpyxl wraps parser errors in ValueError; look at what it wrapped.
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _xml_refused(exc: Exception) -> UnreadableFile:
    return UnreadableFile(
        "This workbook contains XML that Roster refuses to read (entity declarations, "
        "which can be used to attack servers). Save it again from your spreadsheet program."
    )


def _open_xlsx(stream: IO[bytes]) -> Any:
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        # read_only loads no worksheet up front: rows stream when iterated,
        # so listing the sheets costs the shared strings and styles only.
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        if _refused_xml_in_chain(exc, DefusedXmlException):
            raise _xml_refused(exc) from exc
        raise UnreadableFile(
            f"This workbook cannot be read ({exc.__class__.__name__}). Open it in your "
            "spreadsheet program, save it again as .xlsx, and upload that."
        ) from exc


def _xlsx_sheet_names(stream: IO[bytes]) -> list[str]:
    workbook = _open_xlsx(stream)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _xlsx_rows(
    stream: IO[bytes], sheet: str | None, parsed: ParsedSheet, budget: _CellBudget
) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_xlsx(stream)
    parsed.sheet_names = list(workbook.sheetnames)
    if sheet:
        if sheet not in workbook.sheetnames:
            workbook.close()
            raise UnreadableFile(
                f"The workbook has no sheet named “{sheet}”. Its sheets are: "
                + ", ".join(f"“{n}”" for n in workbook.sheetnames)
                + "."
            )
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0]
    return _xlsx_iter(workbook, worksheet, budget)


def _xlsx_iter(
    workbook: Any, worksheet: Any, budget: _CellBudget
) -> Iterator[tuple[int, list[str]]]:
    from defusedxml import DefusedXmlException
    from openpyxl.worksheet._reader import WorkSheetParser

    # The sheet's <dimension> is whatever the file claims (A1:XFD1048576
    # costs 1.5 KB): openpyxl's read-only rows are padded to it, and rows
    # missing between two real ones are made up. Parse the rows the sheet
    # really holds, each as wide as its last non-empty cell.
    if not hasattr(worksheet, "_get_source"):
        workbook.close()
        raise UnreadableFile(
            f"The sheet “{worksheet.title}” holds a chart, not rows. Choose another sheet."
        )
    number = 0
    try:
        with worksheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                worksheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, row in parser.parse():
                budget.spend(len(row), number)
                width = 0
                for cell in row:
                    if cell["value"] is not None and cell["value"] != "":
                        width = max(width, cell["column"])
                if not width:
                    continue
                budget.check_width(width, number)
                cells = [""] * width
                for cell in row:
                    column = cell["column"]
                    if 1 <= column <= width:
                        cells[column - 1] = cell_text(cell["value"])
                yield number, cells
    except (KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile) as exc:
        if _refused_xml_in_chain(exc, DefusedXmlException):
            raise _xml_refused(exc) from exc
        raise UnreadableFile(
            f"This workbook is damaged near row {number + 1} and cannot be read."
        ) from exc
    finally:
        workbook.close()


# ODS ------------------------------------------------------------------------

_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_T = f"{{{_NS_TABLE}}}"
_O = f"{{{_NS_OFFICE}}}"
_MAX_REPEAT = 1024


def _ods_cell(element: Any) -> str:
    kind = element.get(_O + "value-type")
    if kind in ("float", "percentage", "currency"):
        value = element.get(_O + "value", "")
        if re.fullmatch(r"-?\d+\.0*", value):
            value = value.split(".")[0]
        return value
    if kind == "date":
        return (element.get(_O + "date-value") or "").removesuffix("T00:00:00")
    if kind == "boolean":
        return "TRUE" if element.get(_O + "boolean-value") == "true" else "FALSE"
    paragraphs = []
    for p in element.iter(f"{{{_NS_TEXT}}}p"):
        paragraphs.append("".join(p.itertext()))
    return "\n".join(paragraphs)


def _repeat(element: Any, attribute: str, row: int) -> int:
    text = element.get(_T + attribute, "1")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UnreadableFile(
            f"This ODS file is damaged near row {row:,}: “{text[:20]}” is not a number of "
            "repeated cells. Open it in your spreadsheet program, save it again, and "
            "upload that."
        )
    return value


def _ods_rows(
    stream: IO[bytes], sheet: str | None, parsed: ParsedSheet, budget: _CellBudget
) -> Iterator[tuple[int, list[str]]]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    archive = zipfile.ZipFile(stream)
    content = archive.open("content.xml")

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 0
        wanted = False
        done = False
        try:
            for event, element in iterparse(content, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    if tag == _T + "table":
                        name = element.get(_T + "name", "")
                        parsed.sheet_names.append(name)
                        wanted = not done and (sheet is None or name == sheet)
                    continue
                if tag == _T + "table":
                    if wanted:
                        done = True
                        wanted = False
                    element.clear()
                elif tag == _T + "table-row" and wanted:
                    cells: list[str] = []
                    # Empty cells are only written out once a value follows
                    # them: a row ends at its last value, however many
                    # repeated empty cells the file declares after it.
                    pending = 0
                    for cell in element:
                        if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                            continue
                        repeat = min(
                            _repeat(cell, "number-columns-repeated", number + 1), _MAX_REPEAT
                        )
                        value = _ods_cell(cell)
                        # Repeated empty cells are one element of XML and
                        # are never copied, so they cost one cell.
                        budget.spend(repeat if value else 1, number + 1)
                        if not value:
                            pending += repeat
                            continue
                        budget.check_width(len(cells) + pending + repeat, number + 1)
                        cells.extend([""] * pending)
                        cells.extend([value] * repeat)
                        pending = 0
                    repeat_rows = _repeat(element, "number-rows-repeated", number + 1)
                    element.clear()
                    if not cells:
                        number += repeat_rows
                        continue
                    for copy in range(min(repeat_rows, _MAX_REPEAT)):
                        number += 1
                        if copy:
                            budget.spend(len(cells), number)
                        yield number, list(cells)
                elif tag == _T + "table-row":
                    element.clear()
        except DefusedXmlException as exc:
            raise _xml_refused(exc) from exc
        except SyntaxError as exc:  # ElementTree.ParseError
            raise UnreadableFile("This ODS file is damaged and cannot be read.") from exc
        finally:
            content.close()
            archive.close()
        if sheet and sheet not in parsed.sheet_names:
            raise UnreadableFile(
                f"The file has no sheet named “{sheet}”. Its sheets are: "
                + ", ".join(f"“{n}”" for n in parsed.sheet_names)
                + "."
            )

    return rows()


def _ods_sheet_names(stream: IO[bytes]) -> list[str]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    names: list[str] = []
    with zipfile.ZipFile(stream) as archive, archive.open("content.xml") as content:
        try:
            for event, element in iterparse(content, events=("start", "end")):
                if event == "start":
                    if element.tag == _T + "table":
                        names.append(element.get(_T + "name", ""))
                elif element.tag in (_T + "table-row", _T + "table"):
                    # Keep memory flat: rows are not needed here.
                    element.clear()
        except DefusedXmlException as exc:
            raise _xml_refused(exc) from exc
        except SyntaxError as exc:  # ElementTree.ParseError
            raise UnreadableFile("This ODS file is damaged and cannot be read.") from exc
    return names


# --- writing ----------------------------------------------------------------


def write_csv(headers: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """Return UTF-8 CSV (with BOM, so Excel reads accents) with formulas neutralised."""
    return b"".join(iter_csv(headers, rows))


def iter_csv(
    headers: list[str], rows: Iterable[Iterable[Any]], *, rows_per_chunk: int = 2000
) -> Iterator[bytes]:
    """Yield what ``write_csv`` returns, in pieces of ``rows_per_chunk`` rows
    (the first piece is the BOM and the header line), so a response can stream."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in headers])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(headers: list[str], rows: Iterable[Iterable[Any]], *, title: str) -> bytes:
    """Return an XLSX workbook (every cell text) with formulas neutralised."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=title[:31])
    worksheet.append([neutralise(h) for h in headers])
    for row in rows:
        worksheet.append(["" if v is None else neutralise(str(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
