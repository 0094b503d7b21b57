"""Reading uploaded files: encodings, delimiters, workbooks, and hostile or broken input.

Each refusal names the row and column (or the file) and leaves nothing written.
"""

from __future__ import annotations

import codecs
import io
import time
import zipfile
from datetime import datetime

import openpyxl
import pytest

from accounts.models import Person
from provisioning.exceptions import FileTooLarge, ImportNotReady, UnreadableFile
from provisioning.imports import services
from provisioning.imports.models import ImportJob
from provisioning.imports.reader import cell_text, read_spreadsheet
from tests.provisioning.conftest import HEADERS, apply_now, csv_bytes, preview, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ADA = ["ada@example.com", "00123", "Ada", "Lovelace", "", "Analyst", "Engineering", "", "London"]


def people_count() -> int:
    return Person.objects.count()


def row_errors(job: ImportJob) -> list[tuple[int, str, str]]:
    from provisioning.imports.selectors import list_import_rows

    return [
        (entry["row"], error["column"], error["message"])
        for entry in list_import_rows(job, action="error", limit=1000)
        for error in entry["errors"]
    ]


# --- refusals before anything is read ------------------------------------------


def test_empty_file_is_refused_and_nothing_written(admin_user):
    before = people_count()
    job = services.start_import(b"", by=admin_user, filename="people.csv")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == "The file is empty."
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_message == "The file is empty."
    assert people_count() == before


def test_blank_lines_only_is_an_empty_file(admin_user):
    job = services.start_import(b"\r\n ,\r\n", by=admin_user, filename="people.csv")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == "The file is empty: it has no header row and no people."


def test_header_only_file_is_an_error_on_row_2(admin_user):
    job, _ = preview(csv_bytes([HEADERS]), admin_user)
    assert job.file_errors == [
        {
            "row": 2,
            "column": "Email",
            "message": "The file has a header row but no people below it.",
        }
    ]
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)


def test_file_over_the_byte_limit_is_refused_before_it_is_stored(admin_user, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 100
    with pytest.raises(FileTooLarge) as exc:
        services.start_import(b"x" * 101, by=admin_user, filename="people.csv")
    assert "the most Roster accepts is 0 MB" in exc.value.message
    assert ImportJob.objects.count() == 0


def test_file_over_the_row_limit_is_refused_while_streaming(admin_user, settings):
    settings.ROSTER_IMPORT_MAX_ROWS = 2
    rows = [HEADERS] + [[f"p{i}@example.com"] for i in range(3)]
    before = people_count()
    job = services.start_import(csv_bytes(rows), by=admin_user, filename="people.csv")
    with pytest.raises(FileTooLarge) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message.startswith("The file has more than 2 people")
    assert people_count() == before


# --- columns -------------------------------------------------------------------


def test_header_variants_from_other_consoles_are_recognised(admin_user):
    headers = [
        "E-mail Address [Required]",
        "Employee ID",
        "Given name",
        "Surname",
        "Display name",
        "Manager Employee ID",
        "Title",
        "Dept",
        "Phone Number",
        "Office",
        "isActive",
    ]
    job, _ = preview(
        csv_bytes(
            [headers, ["ada@example.com", "7", "Ada", "L", "Ada L", "", "", "", "", "", "Y"]]
        ),
        admin_user,
    )
    assert job.file_errors == []
    assert [c["attribute"] for c in job.columns] == [
        "email",
        "external_id",
        "first_name",
        "last_name",
        "full_name",
        "manager_external_id",
        "job_title",
        "department",
        "phone_number",
        "location",
        "is_active",
    ]
    assert job.count_new == 1


def test_file_without_email_column_is_refused(admin_user):
    job, plan = preview(csv_bytes([["Name", "Department"], ["Ada", "Eng"]]), admin_user)
    assert job.file_errors == [
        {
            "row": 1,
            "column": "Email",
            "message": "The file has no Email column. Add one (the header can be “Email” or "
            "“Email Address”) with each person's work email.",
        }
    ]
    assert plan.rows == []
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)


def test_misspelled_email_header_is_not_imported_and_the_missing_email_blocks(admin_user):
    content = csv_bytes([["Emial", "Shoe size"], ["ada@example.com", "38"]])
    job, _ = preview(content, admin_user)
    assert job.unresolved_columns == ["Emial", "Shoe size"]
    assert [(c["header"], c["suggestion"]) for c in job.not_imported_columns] == [
        ("Emial", "Email"),
        ("Shoe size", ""),
    ]
    # Only the missing email is a problem; the extra column never is.
    assert [e["column"] for e in job.file_errors] == ["Email"]
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)
    assert people_count() == 1

    services.plan_import(job, by=admin_user, mapping={"Emial": "email", "Shoe size": None})
    job.refresh_from_db()
    assert job.file_errors == []
    assert [(c["header"], c["state"]) for c in job.columns] == [
        ("Emial", "mapped"),
        ("Shoe size", "ignored"),
    ]
    assert job.count_new == 1


def test_extra_columns_are_not_imported_and_never_block(admin_user):
    content = csv_bytes(
        [["Email", "Shoe size", "Start Date"], ["ada@example.com", "38", "2024-05-31"]]
    )
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert job.unresolved_columns == ["Shoe size", "Start Date"]
    apply_now(job, admin_user)
    assert people_count() == 2


# --- encodings and delimiters --------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("cp1252", b""),
    ],
    ids=["utf8", "utf8-bom", "windows-1252"],
)
def test_text_encodings_keep_accents(admin_user, encoding, prefix):
    content = prefix + csv_bytes(
        [["Email", "First name", "Last name"], ["rene@example.com", "René", "Müller"]],
        encoding=encoding,
    )
    job, plan = preview(content, admin_user)
    assert job.file_errors == []
    assert plan.rows[0].changes["first_name"] == [None, "René"]
    assert plan.rows[0].changes["last_name"] == [None, "Müller"]


def test_utf16_tab_delimited_excel_unicode_text(admin_user):
    text = "Email\tFirst name\tDepartment\r\nzoe@example.com\tZoë\tR&D\r\n"
    content = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    job, plan = preview(content, admin_user, filename="people.txt")
    assert job.file_errors == []
    assert plan.rows[0].changes["first_name"] == [None, "Zoë"]
    assert plan.rows[0].changes["department"] == [None, "R&D"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_delimiters_are_detected(admin_user, delimiter):
    rows = [
        ["Email", "Full name", "Department"],
        ["ada@example.com", "Lovelace, Ada", "Eng; R&D"],
        ["bob@example.com", "Bob", "Sales"],
    ]
    job, plan = preview(csv_bytes(rows, delimiter=delimiter), admin_user)
    assert job.file_errors == []
    assert [r.changes["full_name"][1] for r in plan.rows] == ["Lovelace, Ada", "Bob"]
    assert plan.rows[0].changes["department"] == [None, "Eng; R&D"]


def test_quoted_cells_with_embedded_newlines_keep_row_numbers(admin_user):
    rows = [
        ["Email", "Job title"],
        ["ada@example.com", "Head of\nResearch"],
        ["not-an-email", "Tester"],
    ]
    job, plan = preview(csv_bytes(rows), admin_user)
    assert plan.rows[0].changes["job_title"] == [None, "Head of\nResearch"]
    assert row_errors(job) == [(3, "Email", "“not-an-email” is not a valid email address.")]


def test_binary_file_named_csv_is_refused(admin_user):
    job = services.start_import(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, by=admin_user, filename="people.csv"
    )
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "This file is not text, so it cannot be a CSV file. Upload a CSV, XLSX or ODS file."
    )


# --- cell contents -------------------------------------------------------------


def test_long_cells_are_errors_naming_row_and_column(admin_user):
    rows = [["Email", "First name"], ["ada@example.com", "A" * 151]]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert row_errors(job) == [
        (2, "First name", "This is 151 characters long; First name holds at most 150.")
    ]


def test_cell_longer_than_any_attribute_is_refused(admin_user):
    rows = [["Email", "First name"], ["ada@example.com", "A" * 40_000]]
    job = services.start_import(csv_bytes(rows), by=admin_user, filename="people.csv")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "Row 2 has a cell longer than 32,767 characters, which no attribute can hold."
    )


def test_leading_zeros_are_kept(admin_user):
    rows = [
        ["Email", "Employee ID", "Phone number"],
        ["ada@example.com", "00123", "0044 20 7946 0018"],
    ]
    _, plan = preview(csv_bytes(rows), admin_user)
    assert plan.rows[0].changes["external_id"] == [None, "00123"]
    assert plan.rows[0].changes["phone_number"] == [None, "+442079460018"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, "123"),
        (1234.0, "1234"),
        (12345678901234567890, "12345678901234567890"),
        (1.5, "1.5"),
        (datetime(2024, 5, 31), "2024-05-31"),
        (datetime(2024, 5, 31, 9, 30), "2024-05-31 09:30:00"),
        (True, "TRUE"),
        (None, ""),
    ],
)
def test_workbook_cell_values_become_the_text_people_see(value, expected):
    assert cell_text(value) == expected


def test_workbook_numbers_dates_and_long_digit_strings_are_not_mangled(admin_user):
    content = xlsx_bytes(
        {
            "People": [
                ["Email", "Employee ID", "Job title", "Department"],
                ["ada@example.com", 123, datetime(2024, 5, 31), "12345678901234567890"],
            ]
        }
    )
    _, plan = preview(content, admin_user, filename="people.xlsx")
    changes = plan.rows[0].changes
    assert changes["external_id"] == [None, "123"]
    assert changes["job_title"] == [None, "2024-05-31"]
    assert changes["department"] == [None, "12345678901234567890"]


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


def _workbook_with(replacements: dict[str, bytes]) -> bytes:
    source = io.BytesIO(xlsx_bytes({"People": [["Email"], ["ada@example.com"]]}))
    target = io.BytesIO()
    with (
        zipfile.ZipFile(source) as zin,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zout,
    ):
        for item in zin.infolist():
            data = replacements.get(item.filename, zin.read(item.filename))
            zout.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return target.getvalue()


def test_zip_bomb_workbook_is_refused_without_expanding_it(admin_user):
    bomb = b'<?xml version="1.0"?><worksheet>' + b" " * 30_000_000 + b"</worksheet>"
    content = _workbook_with({"xl/worksheets/sheet1.xml": bomb})
    assert len(content) < 200_000
    job = services.start_import(content, by=admin_user, filename="people.xlsx")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "This workbook expands to far more data than its size suggests (a “zip bomb”), "
        "so Roster will not open it."
    )


def test_oversized_workbook_is_refused_by_its_expanded_size():
    content = _workbook_with({"xl/worksheets/sheet1.xml": b"<a/>" * 1000})
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
    content = _workbook_with({part: laughs})
    job = services.start_import(content, by=admin_user, filename="people.xlsx")
    with pytest.raises(UnreadableFile) as exc:
        services.plan_import(job, by=admin_user)
    assert exc.value.message == (
        "This workbook contains XML that Roster refuses to read (entity declarations, which "
        "can be used to attack servers). Save it again from your spreadsheet program."
    )
    assert people_count() == 1


# --- work bounded by the cells a file really holds ------------------------------


def _declaring_whole_sheet(extra_rows: bytes = b"") -> bytes:
    """A 5 KB workbook whose sheet claims to span A1:XFD1048576."""
    saved = xlsx_bytes({"People": [["Email", "First name"], ["ada@example.com", "Ada"]]})
    with zipfile.ZipFile(io.BytesIO(saved)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:B2" />' in sheet
    sheet = sheet.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
    sheet = sheet.replace(b"</sheetData>", extra_rows + b"</sheetData>")
    content = _workbook_with({"xl/worksheets/sheet1.xml": sheet})
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
