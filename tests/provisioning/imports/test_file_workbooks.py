"""Reading workbooks (XLSX, ODS): sheets, merged and hidden cells, formats that do not
match their name, zip bombs and XML entity bombs."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from provisioning.exceptions import FileTooLarge, UnreadableFile
from provisioning.imports import services
from provisioning.imports.reader import read_spreadsheet
from tests.provisioning.conftest import csv_bytes, preview, xlsx_bytes
from tests.provisioning.imports.helpers import (
    people_count,
    workbook_with,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- workbooks -----------------------------------------------------------------


def test_workbook_first_sheet_or_a_chosen_one(admin_user):
    content = xlsx_bytes(
        {
            "Staff": [["Email"], ["first@example.com"]],
            "Contractors": [["Email"], ["second@example.com"]],
        }
    )
    _, plan = preview(content, admin_user, filename="people.xlsx")
    assert [r.email for r in plan.rows] == ["first@example.com"]
    _, plan = preview(content, admin_user, filename="people.xlsx", sheet="Contractors")
    assert [r.email for r in plan.rows] == ["second@example.com"]
    job = services.start_import(content, by=admin_user, filename="people.xlsx", sheet="Nope")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "The workbook has no sheet named “Nope”. Its sheets are: “Staff”, “Contractors”."
    )


def test_merged_cells_hidden_rows_and_formulas_use_what_the_sheet_shows(admin_user):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Department", "Location"])
    sheet.append(["ada@example.com", "Engineering", "London"])
    sheet.append(["bob@example.com", "", ""])
    sheet.append(["cy@example.com", '=CONCAT("Fin","ance")', "Paris"])
    sheet.merge_cells("C2:C3")
    sheet.row_dimensions[3].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Give the formula the cached value Excel would have saved.
    patched = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="B4"><f>CONCAT("Fin","ance")</f><v /></c>',
                    b'<c r="B4" t="str"><f>CONCAT("Fin","ance")</f><v>Finance</v></c>',
                )
                assert b"<v>Finance</v>" in data
            target.writestr(item, data)
    _, plan = preview(patched.getvalue(), admin_user, filename="people.xlsx")
    assert [(r.row, r.email, r.changes.get("location")) for r in plan.rows] == [
        (2, "ada@example.com", [None, "London"]),
        (3, "bob@example.com", None),
        (4, "cy@example.com", [None, "Paris"]),
    ]
    assert plan.rows[2].changes["department"] == [None, "Finance"]


def test_ods_sheet_is_read(admin_user):
    content_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="People">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p>'
        '</table:table-cell><table:table-cell office:value-type="string"><text:p>Employee ID'
        "</text:p></table:table-cell></table:table-row>"
        '<table:table-row><table:table-cell office:value-type="string"><text:p>ada@example.com'
        '</text:p></table:table-cell><table:table-cell office:value-type="float" '
        'office:value="42"><text:p>42</text:p></table:table-cell>'
        '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048570">'
        "<table:table-cell/></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content_xml)
    _, plan = preview(buffer.getvalue(), admin_user, filename="people.ods")
    assert [(r.email, r.changes["external_id"]) for r in plan.rows] == [
        ("ada@example.com", [None, "42"])
    ]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            csv_bytes([["Email"], ["ada@example.com"]]),
            "people.xlsx",
            "“people.xlsx” is named like an Excel workbook (.xlsx) but its content is a CSV "
            "file. Save it again in the right format, or rename it.",
        ),
        (
            xlsx_bytes({"People": [["Email"], ["ada@example.com"]]}),
            "people.csv",
            "“people.csv” is named like a CSV file but its content is an Excel workbook "
            "(.xlsx). Save it again in the right format, or rename it.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "people.xls",
            "This is an old Excel 97-2003 workbook (.xls). Save it as .xlsx or CSV and "
            "upload that.",
        ),
        (b"%PDF-1.7\n...", "people.csv", "This file is a PDF, not a spreadsheet."),
    ],
    ids=["csv-named-xlsx", "xlsx-named-csv", "xls", "pdf"],
)
def test_file_whose_content_is_not_what_its_name_claims_is_refused(
    admin_user, content, filename, message
):
    job = services.start_import(content, by=admin_user, filename=filename)
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == message
    assert people_count() == 1


def test_zip_bomb_workbook_is_refused_without_expanding_it(admin_user):
    bomb = b'<?xml version="1.0"?><worksheet>' + b" " * 30_000_000 + b"</worksheet>"
    content = workbook_with({"xl/worksheets/sheet1.xml": bomb})
    assert len(content) < 200_000
    job = services.start_import(content, by=admin_user, filename="people.xlsx")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "This workbook expands to far more data than its size suggests (a “zip bomb”), "
        "so Roster will not open it."
    )


def test_oversized_workbook_is_refused_by_its_expanded_size():
    content = workbook_with({"xl/worksheets/sheet1.xml": b"<a/>" * 1000})
    from provisioning.imports.reader import Limits

    with pytest.raises(FileTooLarge) as exc:
        read_spreadsheet(
            io.BytesIO(content),
            filename="people.xlsx",
            limits=Limits(max_uncompressed_bytes=2000),
        )
    assert exc.value.message.startswith("This workbook expands to 0 MB, more than the 0 MB")


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_xml_entity_bomb_is_refused(admin_user, part):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    content = workbook_with({part: laughs})
    job = services.start_import(content, by=admin_user, filename="people.xlsx")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "This workbook contains XML that Roster refuses to read (entity declarations, which "
        "can be used to attack servers). Save it again from your spreadsheet program."
    )
    assert people_count() == 1
