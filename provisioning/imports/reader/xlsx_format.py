"""Rows of an Excel workbook (.xlsx), read as the text a person sees.

Only the rows the sheet really holds are parsed, whatever its declared size.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

from provisioning.exceptions import UnreadableFile
from provisioning.imports.reader.formats import refused_xml_in_chain, xml_refused
from provisioning.imports.reader.sheet import CellBudget, ParsedSheet


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


def _open_xlsx(stream: IO[bytes]) -> Any:
    import openpyxl
    from defusedxml import DefusedXmlException

    try:
        # read_only loads no worksheet up front: rows stream when iterated,
        # so listing the sheets costs the shared strings and styles only.
        return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        if refused_xml_in_chain(exc, DefusedXmlException):
            raise xml_refused(exc) from exc
        raise UnreadableFile(
            f"This workbook cannot be read ({exc.__class__.__name__}). Open it in your "
            "spreadsheet program, save it again as .xlsx, and upload that."
        ) from exc


def xlsx_sheet_names(stream: IO[bytes]) -> list[str]:
    workbook = _open_xlsx(stream)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def xlsx_rows(
    stream: IO[bytes], sheet: str | None, parsed: ParsedSheet, budget: CellBudget
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
    workbook: Any, worksheet: Any, budget: CellBudget
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
        if refused_xml_in_chain(exc, DefusedXmlException):
            raise xml_refused(exc) from exc
        raise UnreadableFile(
            f"This workbook is damaged near row {number + 1} and cannot be read."
        ) from exc
    finally:
        workbook.close()
