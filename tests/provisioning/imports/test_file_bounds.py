"""Reading uploaded files: the work is bounded by the cells a file really holds, not
by the size it declares."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from provisioning.exceptions import FileTooLarge, UnreadableFile
from provisioning.imports import services
from provisioning.imports.models import ImportJob
from provisioning.imports.reader import read_spreadsheet
from tests.provisioning.conftest import HEADERS, csv_bytes, preview, xlsx_bytes
from tests.provisioning.imports.helpers import (
    people_count,
    workbook_with,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- work bounded by the cells a file really holds ------------------------------


def _declaring_whole_sheet(extra_rows: bytes = b"") -> bytes:
    """A 5 KB workbook whose sheet claims to span A1:XFD1048576."""
    saved = xlsx_bytes({"People": [["Email", "First name"], ["ada@example.com", "Ada"]]})
    with zipfile.ZipFile(io.BytesIO(saved)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:B2" />' in sheet
    sheet = sheet.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
    sheet = sheet.replace(b"</sheetData>", extra_rows + b"</sheetData>")
    content = workbook_with({"xl/worksheets/sheet1.xml": sheet})
    assert len(content) < 6000
    return content


def test_declared_dimension_does_not_make_up_cells(admin_user):
    content = _declaring_whole_sheet(
        b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>bob@example.com</t></is></c></row>'
    )
    started = time.process_time()
    parsed = read_spreadsheet(io.BytesIO(content), filename="people.xlsx")
    assert time.process_time() - started < 2
    assert [(r.row, r.email, r.first_name) for r in parsed.records] == [
        (2, "ada@example.com", "Ada"),
        (1048576, "bob@example.com", ""),
    ]
    assert parsed.cells_read == 5


def test_value_in_the_last_column_of_a_declared_whole_sheet_is_refused_quickly(admin_user):
    content = _declaring_whole_sheet(
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    job = services.start_import(content, by=admin_user, filename="people.xlsx")
    started = time.process_time()
    with pytest.raises(FileTooLarge) as exc:
        services.plan_import(job, by=admin_user)
    assert time.process_time() - started < 2
    message = (
        "Row 1,048,576 has a value in column XFD (column 16,384); Roster reads at most 500 "
        "columns. Delete the columns Roster does not need and upload the file again."
    )
    assert exc.value.message == message
    job.refresh_from_db()
    assert (job.status, job.error_message) == (ImportJob.Status.FAILED, message)
    assert people_count() == 1


@pytest.mark.parametrize("filename", ["people.csv", "people.xlsx"])
def test_file_with_600_columns_is_refused_naming_the_limit(admin_user, filename):
    header = ["Email", *[f"Extra {n}" for n in range(1, 600)]]
    rows = [header, ["ada@example.com", *[""] * 598, "x"]]
    content = csv_bytes(rows) if filename.endswith("csv") else xlsx_bytes({"People": rows})
    job = services.start_import(content, by=admin_user, filename=filename)
    with pytest.raises(FileTooLarge) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "Row 1 has a value in column WB (column 600); Roster reads at most 500 columns. "
        "Delete the columns Roster does not need and upload the file again."
    )
    assert people_count() == 1


def test_trailing_empty_cells_past_the_column_limit_are_not_refused(admin_user):
    content = csv_bytes([["Email", *[""] * 700], ["ada@example.com", *[""] * 700]])
    _, plan = preview(content, admin_user)
    assert [r.email for r in plan.rows] == ["ada@example.com"]


@pytest.mark.parametrize("filename", ["people.csv", "people.xlsx"])
def test_file_with_more_cells_than_the_setting_allows_is_refused(admin_user, settings, filename):
    settings.ROSTER_IMPORT_MAX_CELLS = 100
    rows = [HEADERS, *([f"p{n}@example.com", *["x"] * 8] for n in range(20))]
    content = csv_bytes(rows) if filename.endswith("csv") else xlsx_bytes({"People": rows})
    job = services.start_import(content, by=admin_user, filename=filename)
    with pytest.raises(FileTooLarge) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "The file holds more than 100 cells (reached at row 12); the most Roster reads is "
        "that many. Delete unused columns and rows, or split it into smaller files."
    )
    assert people_count() == 1


def _ods(rows_xml: str) -> bytes:
    content_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="People">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p>'
        "</table:table-cell></table:table-row>"
        f"{rows_xml}"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content_xml)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "row",
    [
        '<table:table-row><table:table-cell table:number-columns-repeated="lots"/>'
        '<table:table-cell office:value-type="string"><text:p>ada@example.com</text:p>'
        "</table:table-cell></table:table-row>",
        '<table:table-row table:number-rows-repeated="lots"><table:table-cell '
        'office:value-type="string"><text:p>ada@example.com</text:p></table:table-cell>'
        "</table:table-row>",
    ],
    ids=["columns-repeated", "rows-repeated"],
)
def test_ods_with_a_repeat_count_that_is_not_a_number_is_refused(admin_user, row):
    job = services.start_import(_ods(row), by=admin_user, filename="people.ods")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    message = (
        "This ODS file is damaged near row 2: “lots” is not a number of repeated cells. "
        "Open it in your spreadsheet program, save it again, and upload that."
    )
    assert exc.value.message == message
    job.refresh_from_db()
    assert (job.status, job.error_message) == (ImportJob.Status.FAILED, message)
    assert people_count() == 1


def test_ods_row_ends_at_its_last_value_however_many_empty_cells_follow(admin_user):
    row = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>'
        "ada@example.com</text:p></table:table-cell><table:table-cell "
        'table:number-columns-repeated="16383"/></table:table-row>'
    )
    parsed = read_spreadsheet(io.BytesIO(_ods(row * 3)), filename="people.ods")
    assert [r.email for r in parsed.records] == ["ada@example.com"] * 3
    assert parsed.cells_read == 7
