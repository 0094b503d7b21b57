"""The import admin with workbooks of several sheets: which sheet is read, choosing another."""

from __future__ import annotations

import io
import zipfile

import pytest

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import plan_import_task
from tests.provisioning.conftest import csv_bytes, xlsx_bytes
from tests.provisioning.imports.admin_pages import (
    post_and_plan,
    upload,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


NOTES_AND_PEOPLE = {
    "Notes": [["Read me"], ["The staff list is on the next sheet."]],
    "People": [
        ["Email", "Job title"],
        ["ada@example.com", "Analyst"],
        ["bob@example.com", "Chef"],
    ],
}


def ods_bytes(sheets: dict[str, list[list[str]]]) -> bytes:
    def cell(value: str) -> str:
        return (
            '<table:table-cell office:value-type="string">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join(
            "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content_xml)
    return buffer.getvalue()


def test_workbook_preview_names_the_sheet_read_and_offers_the_others(admin_client):
    upload(admin_client, xlsx_bytes(NOTES_AND_PEOPLE), filename="staff.xlsx")
    job = ImportJob.objects.get()
    assert (job.status, job.sheet, job.sheet_names, job.sheet_read) == (
        "ready",
        "",
        ["Notes", "People"],
        "Notes",
    )
    assert (job.total_rows, job.count_new) == (1, 0)
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "sheet <strong>Notes</strong> of 2" in page
    assert "The file has no Email column." in page
    assert f'action="{url("sheet", job.pk)}"' in page
    assert '<option value="Notes" selected>Notes</option>' in page
    assert '<option value="People">People</option>' in page
    post_and_plan(admin_client, url("columns", job.pk), {"column_0": "__ignore__"})
    job.refresh_from_db()
    assert job.column_mapping == {"Read me": None}

    response = post_and_plan(admin_client, url("sheet", job.pk), {"sheet": "People"})
    assert response.status_code == 302
    assert response["Location"] == url("change", job.pk)
    job.refresh_from_db()
    # Column choices named the other sheet's columns, so they are forgotten.
    assert (job.sheet, job.column_mapping, job.file_errors) == ("People", {}, [])
    assert (job.total_rows, job.count_new, job.count_errors) == (2, 2, 0)
    response = admin_client.get(url("change", job.pk))
    assert [(r["row"], r["email"], r["action_label"]) for r in response.context["rows"]] == [
        (2, "ada@example.com", "New"),
        (3, "bob@example.com", "New"),
    ]
    page = response.content.decode()
    assert "sheet <strong>People</strong> of 2" in page
    assert '<option value="People" selected>People</option>' in page
    assert 'id="import-options"' in page
    assert Person.objects.filter(email__in=["ada@example.com", "bob@example.com"]).count() == 0

    before = list(ImportJob.objects.values())
    response = post_and_plan(admin_client, url("sheet", job.pk), {"sheet": "Nope"})
    assert response.status_code == 400
    assert "Choose one of the workbook&#x27;s sheets." in response.content.decode()
    assert list(ImportJob.objects.values()) == before


def test_ods_whose_first_sheet_is_empty_fails_and_another_sheet_can_be_chosen(admin_client):
    content = ods_bytes({"Cover": [], "People": NOTES_AND_PEOPLE["People"]})
    upload(admin_client, content, filename="staff.ods")
    job = ImportJob.objects.get()
    assert (job.status, job.sheet_names, job.error_message) == (
        "failed",
        ["Cover", "People"],
        "The file is empty: it has no header row and no people.",
    )
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Roster could not make a preview of this file." in page
    assert 'id="sheet-choice"' in page

    post_and_plan(admin_client, url("sheet", job.pk), {"sheet": "People"})
    job.refresh_from_db()
    assert (job.status, job.sheet, job.file_format, job.count_new) == ("ready", "People", "ods", 2)


def test_csv_and_one_sheet_workbooks_offer_no_sheet_choice(admin_client):
    upload(admin_client, xlsx_bytes({"People": NOTES_AND_PEOPLE["People"]}), filename="a.xlsx")
    upload(admin_client, csv_bytes(NOTES_AND_PEOPLE["People"]), filename="b.csv")
    one_sheet, csv_job = ImportJob.objects.order_by("pk")
    assert (one_sheet.sheet_names, one_sheet.sheet_read) == (["People"], "People")
    assert (csv_job.sheet_names, csv_job.sheet_read) == ([], "")
    page = admin_client.get(url("change", one_sheet.pk)).content.decode()
    assert "sheet <strong>People</strong></span>" in page
    assert 'id="sheet-choice"' not in page
    page = admin_client.get(url("change", csv_job.pk)).content.decode()
    assert 'id="sheet-read"' not in page
    assert 'id="sheet-choice"' not in page


def test_choosing_a_sheet_has_a_worker_prepare_its_preview(
    admin_client, django_capture_on_commit_callbacks
):
    upload(admin_client, xlsx_bytes(NOTES_AND_PEOPLE), filename="staff.xlsx")
    job = ImportJob.objects.get()
    assert job.status == "ready"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(url("sheet", job.pk), {"sheet": "People"})
    job.refresh_from_db()
    assert (job.status, job.sheet) == ("planning", "People")
    assert [c.args for c in callbacks] == [(job.pk,)]
    assert plan_import_task(job.pk) == "ready"
    job.refresh_from_db()
    assert (job.file_errors, job.count_new) == ([], 2)
