"""The import admin's downloads: error reports, the uploaded file, and exports of the
People list."""

from __future__ import annotations

import pytest

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.services import export
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes
from tests.provisioning.imports.admin_pages import (
    HEADER,
    PEOPLE_URL,
    TEMPLATE_HEADER,
    csv_rows,
    upload,
    uploaded,
    url,
    xlsx_rows,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- reports and files ----------------------------------------------------------------


def test_error_report_downloads_hold_the_original_rows_and_an_error_column(admin_client):
    job = uploaded(
        admin_client,
        [["ada@example.com", "Ada", "L", "", ""], ["nope", "Dan", "Brown", "Clerk", "Sales"]],
    )
    error = admin_client.get(url("change", job.pk)).context["rows"][0]["errors"][0]
    expected = [
        [*HEADER, "Errors"],
        ["nope", "Dan", "Brown", "Clerk", "Sales", f"Row 3, Email: {error['message']}"],
    ]

    response = admin_client.get(url("errors", job.pk, "csv"))
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    assert csv_rows(response.content) == expected
    response = admin_client.get(url("errors", job.pk, "xlsx"))
    assert xlsx_rows(response.content) == expected


def test_the_uploaded_file_downloads_as_uploaded(admin_client):
    content = csv_bytes([HEADER, ["ada@example.com", "Ada", "L", "", ""]])
    upload(admin_client, content, filename="staff.csv")
    job = ImportJob.objects.get()
    response = admin_client.get(url("file", job.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert 'filename="staff.csv"' in response["Content-Disposition"]


# --- exports of the People list -----------------------------------------------------


def test_export_applies_the_people_lists_filters_and_search(admin_client):
    PersonFactory(email="ada@example.com", department="Engineering", job_title="=cmd()")
    PersonFactory(email="bob@example.com", department="Engineering")
    PersonFactory(email="carol@example.com", department="Sales")
    page = admin_client.get(PEOPLE_URL + "?department=Engineering").content.decode()
    assert url("export", "csv") + "?department=Engineering" in page
    assert url("export", "xlsx") + "?department=Engineering" in page

    response = admin_client.get(url("export", "csv") + "?department=Engineering")
    assert response.status_code == 200
    assert response.streaming
    rows = csv_rows(b"".join(response.streaming_content))
    assert rows[0] == TEMPLATE_HEADER
    assert [r[0] for r in rows[1:]] == ["ada@example.com", "bob@example.com"]
    assert rows[1][7] == "'=cmd()"

    response = admin_client.get(url("export", "xlsx") + "?department=Engineering&q=bob")
    rows = xlsx_rows(response.content)
    assert [r[0] for r in rows[1:]] == ["bob@example.com"]

    everyone = csv_rows(b"".join(admin_client.get(url("export", "csv")).streaming_content))
    assert len(everyone) == 1 + Person.objects.count()


def test_csv_export_streams_people_in_pieces_with_their_managers(admin_client, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_CHUNK", 2)
    boss = PersonFactory(
        email="boss@example.com",
        external_id="007",
        phone_number="+442079460018",
        department="Treasury",
    )
    for name in ("ann", "ben", "cy"):
        PersonFactory(
            email=f"{name}@example.com",
            manager=boss,
            status=Person.Status.INVITED,
            department="Treasury",
        )

    response = admin_client.get(url("export", "csv") + "?department=Treasury")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="people-')
    pieces = list(response.streaming_content)
    # The header, then two people a piece.
    assert len(pieces) == 1 + 2
    rows = csv_rows(b"".join(pieces))
    assert rows[0] == TEMPLATE_HEADER
    assert [(r[0], r[1], r[5], r[6], r[9], r[12]) for r in rows[1:]] == [
        ("boss@example.com", "007", "", "", "'+44 20 7946 0018", "Awaiting invitation"),
        ("ann@example.com", "", "boss@example.com", "007", "", "Invited"),
        ("ben@example.com", "", "boss@example.com", "007", "", "Invited"),
        ("cy@example.com", "", "boss@example.com", "007", "", "Invited"),
    ]
