"""Write one file per HR tool's export shape, to try with import_people.

    python bench/hr_export_shapes.py DIR
    for f in DIR/*; do python manage.py import_people "$f" --dry-run --json; done

The headers are those of the tests in tests/provisioning/imports (Workplace
people template, Google "Bulk update users", Entra "Bulk create" with its
version line, Okta user import, a 30-column HRIS report, a European
semicolon CSV in Windows-1252, an XLSX with formulas and real date cells).
"""

from __future__ import annotations

import csv
import io
import os
import sys
from datetime import date
from pathlib import Path

import django
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()  # the tests' modules, whose headers are reused, import models

from tests.provisioning.imports.test_hr_exports import ENTRA, GOOGLE, OKTA, WORKPLACE  # noqa: E402
from tests.provisioning.imports.test_hr_reports import HRIS  # noqa: E402


def _row(headers: list[str], values: dict[str, str]) -> list[str]:
    return [values.get(h, "") for h in headers]


def _csv(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def shapes() -> dict[str, bytes]:
    """Return {file name: content} for every export shape."""
    files: dict[str, bytes] = {}
    files["workplace.csv"] = _csv(
        [
            WORKPLACE,
            ["grace@example.com", "Grace", "Hopper", "Director", "Engineering",
             "+1 212 736 3100", "New York", "en_US", "", "Technology", "Example Inc",
             "2019-01-07"],
            ["alan@example.com", "Alan", "Turing", "Engineer", "Engineering", "", "London",
             "en_GB", "grace@example.com", "Technology", "Example Inc", "2021-03-01"],
        ]
    )  # fmt: skip
    files["google.csv"] = _csv(
        [
            GOOGLE,
            _row(GOOGLE, {"First Name [Required]": "Ada", "Last Name [Required]": "Lovelace",
                          "Email Address [Required]": "ada@example.com",
                          "Password [Required]": "****", "Org Unit Path [Required]": "/",
                          "Work Phone": "+44 20 7946 0018", "Mobile Phone": "+44 7911 123457",
                          "Employee ID": "G1", "Employee Title": "Lead analyst",
                          "Department": "Research", "Cost Center": "CC-100"}),
            _row(GOOGLE, {"First Name [Required]": "Edsger", "Last Name [Required]": "Dijkstra",
                          "Email Address [Required]": "edsger@example.com",
                          "Password [Required]": "****", "Org Unit Path [Required]": "/Eng",
                          "Mobile Phone": "+31 6 12345678", "Employee ID": "G2",
                          "Manager Email": "ada@example.com", "Department": "Research"}),
        ]
    )  # fmt: skip
    entra = [
        ["Chris Green", "chris@example.com", "Pa55word!", "No", "Chris", "Green", "Buyer",
         "Purchasing", "GB", "", "", "", "Building 4", "London", "", "", "+447911123456"],
        ["Dana Blue", "dana@example.com", "Pa55word!", "No", "Dana", "Blue", "Clerk",
         "Purchasing", "GB", "", "", "", "Building 2", "London", "", "+442079460019", ""],
    ]  # fmt: skip
    files["entra.csv"] = _csv([["version:v1.0"] + [""] * (len(ENTRA) - 1), ENTRA, *entra])
    files["okta.csv"] = _csv(
        [
            OKTA,
            _row(OKTA, {"login": "isaac@example.com", "firstName": "Isaac",
                        "lastName": "Newton", "email": "isaac@example.com",
                        "title": "Head of Physics", "displayName": "Isaac Newton",
                        "primaryPhone": "+44 20 7946 0020", "mobilePhone": "+44 7700 900020",
                        "employeeNumber": "100", "department": "Physics",
                        "timezone": "Europe/London"}),
            _row(OKTA, {"login": "emmy", "firstName": "Emmy", "lastName": "Noether",
                        "email": "emmy@example.com", "title": "Mathematician",
                        "mobilePhone": "+49 151 23456789", "employeeNumber": "101",
                        "department": "Mathematics", "managerId": "100"}),
        ]
    )  # fmt: skip
    hris = [HRIS]
    for number, first, last, status, supervisor, hired in (
        ("E001", "Mary", "Major", "Active", "", "03/02/2020"),
        ("E002", "Lena", "Leave", "Leave", "mary@example.com", "11/15/2021"),
        ("E003", "Terry", "Temp", "Active", "mary@example.com", "01/04/2024"),
    ):
        hris.append(
            _row(HRIS, {"Employee #": number, "First Name": first, "Last Name": last,
                        "Work Email": f"{first.lower()}@example.com",
                        "Personal Email": f"{first.lower()}@home.example.net",
                        "Employee Title": "Accountant", "Department": "Finance",
                        "Division": "Corporate", "Cost Center": "4100",
                        "Supervisor": "Mary Major" if supervisor else "",
                        "Supervisor Email": supervisor, "Hire Date": hired,
                        "Original Hire Date": hired, "Status": status,
                        "Employment Type": "Full-Time", "FTE": "1.0",
                        "Work Phone": "", "Mobile Phone": "+1 415 555 0100",
                        "Work Location": "HQ", "Country": "US", "Gender": "F",
                        "Date of Birth": "1990-01-01"})
        )  # fmt: skip
    files["hris.csv"] = _csv(hris)
    files["european.csv"] = _csv(
        [
            ["Personalnummer", "First Name", "Last Name", "E-Mail", "Department", "Office",
             "Start Date", "Date of Birth", "Phone"],
            ["4711", "Jürgen", "Müller", "juergen@example.com", "Vertrieb", "München",
             "01.04.2021", "17.03.1980", "+49 89 1234567"],
            ["4712", "Zoë", "Lefèvre", "zoe@example.com", "Marketing", "Paris", "15.09.2022",
             "02.11.1991", ""],
        ],
        delimiter=";",
        encoding="cp1252",
    )  # fmt: skip
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["First Name", "Last Name", "Full Name", "Email", "Hire Date", "Years"])
    sheet.append(["Ada", "Lovelace", '=A2&" "&B2', "ada.l@example.com", date(2015, 12, 10),
                  '=DATEDIF(E2,TODAY(),"y")'])  # fmt: skip
    sheet.append(["Mary", "Somerville", '=A3&" "&B3', "mary.s@example.com", date(2018, 2, 26),
                  '=DATEDIF(E3,TODAY(),"y")'])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    files["formulas.xlsx"] = buffer.getvalue()
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hr-shapes")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in shapes().items():
        (target / name).write_bytes(content)
        print(target / name)
