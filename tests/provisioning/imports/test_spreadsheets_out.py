"""Spreadsheets out: the people export re-imports unchanged, the template, error reports."""

from __future__ import annotations

import pytest

from accounts.models import Person
from provisioning.imports import services
from provisioning.imports.reader import read_spreadsheet
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes, preview

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- spreadsheets out ---------------------------------------------------------------


def test_export_reimports_with_zero_changes(admin_user):
    boss = PersonFactory(
        email="boss@example.com",
        external_id="00042",
        phone_number="+442079460018",
        location="=HYPERLINK(1)",
    )
    PersonFactory(
        email="dev@example.com",
        first_name="-Dash",
        full_name="@Odd Name",
        manager=boss,
        job_title="+Plus",
        status=Person.Status.DEACTIVATED,
    )
    PersonFactory(email="inv@example.com", status=Person.Status.INVITED, department="\tTabbed")
    people = Person.objects.all()
    for file_format in ("csv", "xlsx"):
        data = services.export_people(people, file_format, by=admin_user)
        job, plan = preview(data, admin_user, filename=f"people.{file_format}")
        assert job.file_errors == []
        assert job.counts == {
            "new": 0,
            "updated": 0,
            "unchanged": 4,
            "deactivated": 0,
            "reactivated": 0,
            "skipped": 0,
            "errors": 0,
        }, [r.as_dict() for r in plan.rows]


def test_export_neutralises_formulas_and_shows_phones_in_display_form(admin_user):
    PersonFactory(
        email="boss@example.com", phone_number="+442079460018", location="=cmd|' /C calc'!A0"
    )
    data = services.export_people(
        Person.objects.filter(email="boss@example.com"), "csv", by=admin_user
    )
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "Email,Employee ID,First name,Last name,Full name,Manager email,Manager employee ID,"
        "Job title,Department,Phone number,Location,Start date,Status"
    )
    assert "'+44 20 7946 0018" in text
    assert "'=cmd|' /C calc'!A0" in text


def test_template_has_every_column_and_an_example_row(admin_user):
    import io

    for file_format in ("csv", "xlsx"):
        data = services.build_template(file_format)
        parsed = read_spreadsheet(io.BytesIO(data), filename=f"template.{file_format}")
        assert parsed.errors == []
        assert [c.attribute for c in parsed.columns] == [
            "email",
            "external_id",
            "first_name",
            "last_name",
            "full_name",
            "manager_email",
            "manager_external_id",
            "job_title",
            "department",
            "phone_number",
            "location",
            "start_date",
            "is_active",
            "groups",
        ]
        assert parsed.records[0].phone_number == "+44 20 7946 0018"
        assert parsed.records[0].external_id == "00123"


def test_error_report_has_original_rows_and_an_errors_column(admin_user):
    import io

    content = csv_bytes(
        [["Email", "Phone number"], ["ok@example.com", ""], ["bad@example.com", "=1+1"]]
    )
    job, _ = preview(content, admin_user)
    report = services.build_error_report(job, "csv", by=admin_user).decode("utf-8-sig")
    assert report.splitlines() == [
        "Email,Phone number,Errors",
        'bad@example.com,\'=1+1,"Row 3, Phone number: “=1+1” is not a phone number."',
    ]
    workbook = services.build_error_report(job, "xlsx", by=admin_user)
    parsed = read_spreadsheet(
        io.BytesIO(workbook), filename="errors.xlsx", mapping={"Errors": None}
    )
    assert parsed.records[0].raw == {
        "Email": "bad@example.com",
        "Phone number": "'=1+1",
        "Errors": "Row 3, Phone number: “=1+1” is not a phone number.",
    }
