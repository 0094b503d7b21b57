"""Files shaped like those HR teams make import without any column choices: a typical
HR system report, a European spreadsheet and an Excel workbook with formulas."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview
from tests.provisioning.imports.helpers import (
    not_imported,
    person,
    row_errors,
)

pytestmark = pytest.mark.django_db


# --- An HR system's custom report: 30 columns ----------------------------------

HRIS = [
    "Employee #",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Work Email",
    "Personal Email",
    "Employee Title",
    "Department",
    "Division",
    "Cost Center",
    "Supervisor",
    "Supervisor Email",
    "Hire Date",
    "Original Hire Date",
    "Termination Date",
    "Status",
    "Employment Type",
    "FTE",
    "Pay Group",
    "Pay Frequency",
    "Work Phone",
    "Mobile Phone",
    "Work Location",
    "Country",
    "City",
    "State/Province",
    "Postal Code",
    "Gender",
    "Date of Birth",
    "Ethnicity",
]


def hris_row(number, first, last, email, title, status, supervisor="", location="HQ"):
    values = {
        "Employee #": number,
        "First Name": first,
        "Last Name": last,
        "Work Email": email,
        "Personal Email": f"{first.lower()}@home.example.net",
        "Employee Title": title,
        "Department": "Finance",
        "Division": "Corporate",
        "Cost Center": "4100",
        "Supervisor": "Mary Major" if supervisor else "",
        "Supervisor Email": supervisor,
        "Hire Date": "2020-02-03",
        "Status": status,
        "Employment Type": "Full-Time",
        "FTE": "1.0",
        "Work Location": location,
        "Country": "US",
        "Gender": "F",
        "Date of Birth": "1990-01-01",
    }
    return [values.get(h, "") for h in HRIS]


def test_hris_custom_report_with_30_columns(admin_user):
    PersonFactory(email="leaver@example.com", claimed=True)
    rows = [
        HRIS,
        hris_row("E001", "Mary", "Major", "mary@example.com", "CFO", "Active"),
        hris_row(
            "E002", "Lena", "Leave", "lena@example.com", "Accountant", "Leave", "mary@example.com"
        ),
        hris_row("E003", "Lou", "Leaver", "leaver@example.com", "Clerk", "Terminated"),
        hris_row("E004", "Rita", "Retired", "rita@example.com", "Clerk", "Retired"),
    ]
    assert len(HRIS) == 30
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_deactivated, job.count_errors) == (2, 1, 1)
    assert row_errors(job) == [
        (
            5,
            "Status",
            "“Retired” is not a status Roster understands in the Status column. Use Active, "
            "Leave, Inactive, Suspended, Terminated or Deactivated (or Yes/No).",
        )
    ]
    assert not_imported(job) == [
        "Preferred Name",
        "Personal Email",
        "Division",
        "Cost Center",
        "Supervisor",
        "Original Hire Date",
        "Termination Date",
        "Employment Type",
        "FTE",
        "Pay Group",
        "Pay Frequency",
        "Country",
        "City",
        "State/Province",
        "Postal Code",
        "Gender",
        "Date of Birth",
        "Ethnicity",
    ]
    job.skip_invalid = True
    job.save(update_fields=["skip_invalid"])
    apply_now(job, admin_user)
    lena = person("lena@example.com")
    assert (lena.external_id, lena.job_title, lena.location, lena.manager.email) == (
        "E002",
        "Accountant",
        "HQ",
        "mary@example.com",
    )
    # Hire Date is the start date; Original Hire Date is read only without it.
    assert lena.start_date == date(2020, 2, 3)
    assert person("leaver@example.com").is_active is False


# --- A European spreadsheet: semicolons, Windows-1252, DD.MM.YYYY dates --------


def test_european_semicolon_csv(admin_user):
    rows = [
        ["Personalnummer", "First Name", "Last Name", "E-Mail", "Department", "Office",
         "Start Date", "Date of Birth", "Phone"],
        ["4711", "Jürgen", "Müller", "juergen@example.com", "Vertrieb", "München",
         "01.04.2021", "17.03.1980", "+49 89 1234567"],
        ["4712", "Zoë", "Lefèvre", "zoe@example.com", "Marketing", "Paris",
         "15.09.2022", "02.11.1991", ""],
    ]  # fmt: skip
    content = csv_bytes(rows, delimiter=";", encoding="cp1252")
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_errors) == (2, 0)
    assert not_imported(job) == ["Personalnummer", "Date of Birth"]
    apply_now(job, admin_user)
    juergen = person("juergen@example.com")
    assert (juergen.first_name, juergen.last_name, juergen.location, juergen.start_date) == (
        "Jürgen",
        "Müller",
        "München",
        date(2021, 4, 1),
    )
    assert person("zoe@example.com").start_date == date(2022, 9, 15)
    assert person("zoe@example.com").first_name == "Zoë"


# --- An Excel workbook whose cells hold formulas -------------------------------


def with_cached_values(content: bytes, values: dict[str, str]) -> bytes:
    """Write the values Excel would have saved with each formula cell."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in values.items():
                    text, count = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v ?/>',
                        rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>',
                        text,
                    )
                    assert count == 1, ref
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_xlsx_with_formulas(admin_user):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["First Name", "Last Name", "Full Name", "Email", "Hire Date", "Years of Service"])
    sheet.append(
        [
            "Ada",
            "Lovelace",
            '=A2&" "&B2',
            '=LOWER(A2)&"@example.com"',
            date(2015, 12, 10),
            '=DATEDIF(E2,TODAY(),"y")',
        ]
    )
    sheet.append(["Mary", "Somerville", '=A3&" "&B3', '=LOWER(A3)&"@example.com"',
                  date(2018, 2, 26), "=DATEDIF(E3,TODAY(),\"y\")"])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = with_cached_values(
        buffer.getvalue(),
        {
            "C2": "Ada Lovelace",
            "D2": "ada@example.com",
            "F2": "10",
            "C3": "Mary Somerville",
            "D3": "mary@example.com",
            "F3": "8",
        },
    )
    job, _ = preview(content, admin_user, filename="people.xlsx")
    assert job.file_errors == []
    assert (job.count_new, job.count_errors) == (2, 0)
    assert not_imported(job) == ["Years of Service"]
    apply_now(job, admin_user)
    # The values Excel saved are read; formulas are never evaluated.
    assert person("ada@example.com").full_name == "Ada Lovelace"
    assert person("mary@example.com").full_name == "Mary Somerville"
    # Real Excel date cells become start dates.
    assert person("ada@example.com").start_date == date(2015, 12, 10)
    assert person("mary@example.com").start_date == date(2018, 2, 26)
