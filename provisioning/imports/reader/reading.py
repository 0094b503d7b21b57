"""The reader's entry points: read a file's rows into records, or list its sheets."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from provisioning.imports.reader.csv_format import csv_rows
from provisioning.imports.reader.formats import checked_format
from provisioning.imports.reader.ods_format import ods_rows, ods_sheet_names
from provisioning.imports.reader.rows import records_from_rows
from provisioning.imports.reader.sheet import CellBudget, Limits, ParsedSheet
from provisioning.imports.reader.xlsx_format import xlsx_rows, xlsx_sheet_names


def read_spreadsheet(
    stream: IO[bytes],
    *,
    filename: str = "",
    sheet: str | None = None,
    mapping: dict[str, str | None] | None = None,
    limits: Limits | None = None,
    on_row: Callable[[int], None] | None = None,
    mapping_for: Callable[[list[str]], dict[str, str | None] | None] | None = None,
) -> ParsedSheet:
    """Read every row of ``stream`` into records; raise UnreadableFile/FileTooLarge.

    Problems with headers and cells are returned in ``errors`` (row 1 for
    headers) rather than raised, so a preview can list them all. For a
    workbook, ``sheet_names`` lists every sheet it holds. The work is bounded
    by the cells the file really holds (``limits.max_cells`` and
    ``limits.max_columns``), never by the size a workbook declares.
    ``on_row`` is called with the row number every ``PROGRESS_ROWS`` rows.
    Without ``mapping``, ``mapping_for`` is asked once for the choices of the
    file's headers (e.g. saved ones); what it returns is used and kept in
    ``found_mapping``.
    """
    limits = limits or Limits()
    file_format = checked_format(stream, filename, limits)
    parsed = ParsedSheet(file_format=file_format)
    budget = CellBudget(limits)
    if file_format == "csv":
        rows = csv_rows(stream.read(), limits, budget)
    elif file_format == "xlsx":
        rows = xlsx_rows(stream, sheet, parsed, budget)
    else:
        rows = ods_rows(stream, sheet, parsed, budget)
    try:
        records_from_rows(rows, parsed, mapping, limits, on_row, mapping_for)
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
    file_format = checked_format(stream, filename, limits)
    if file_format == "xlsx":
        return xlsx_sheet_names(stream)
    if file_format == "ods":
        return ods_sheet_names(stream)
    return []
