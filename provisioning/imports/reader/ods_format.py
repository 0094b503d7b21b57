"""Rows of an OpenDocument sheet (.ods), streamed from its content.xml.

Repeated cells and rows cost what they would cost written out, up to a cap.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from provisioning.exceptions import UnreadableFile
from provisioning.imports.reader.formats import xml_refused
from provisioning.imports.reader.sheet import CellBudget, ParsedSheet

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


def ods_rows(
    stream: IO[bytes], sheet: str | None, parsed: ParsedSheet, budget: CellBudget
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
            raise xml_refused(exc) from exc
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


def ods_sheet_names(stream: IO[bytes]) -> list[str]:
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
            raise xml_refused(exc) from exc
        except SyntaxError as exc:  # ElementTree.ParseError
            raise UnreadableFile("This ODS file is damaged and cannot be read.") from exc
    return names
