"""Reading uploaded files: refusals before anything is read, encodings and delimiters,
and cell contents.

Each refusal names the row and column (or the file) and leaves nothing written.
"""

from __future__ import annotations

import codecs
from datetime import datetime

import pytest

from provisioning.exceptions import FileTooLarge, ImportNotReady, UnreadableFile
from provisioning.imports import services
from provisioning.imports.models import ImportJob
from provisioning.imports.reader import cell_text
from tests.provisioning.conftest import HEADERS, csv_bytes, preview, xlsx_bytes
from tests.provisioning.imports.helpers import (
    people_count,
    row_errors,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


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
