"""The import admin: templates, uploading a file and the preview the worker makes of it."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import plan_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes, xlsx_bytes
from tests.provisioning.imports.admin_pages import (
    ADD_URL,
    TEMPLATE_EXAMPLE,
    TEMPLATE_HEADER,
    csv_rows,
    people,
    post_and_plan,
    upload,
    uploaded,
    url,
    xlsx_rows,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- templates ------------------------------------------------------------------


WITH_GROUPS = [*TEMPLATE_HEADER, "Groups"]
EXAMPLE_WITH_GROUPS = [*TEMPLATE_EXAMPLE, "Analysts; London office"]


def test_templates_download_as_csv_and_xlsx_with_every_column_and_an_example_row(admin_client):
    response = admin_client.get(url("template", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roster-people-template.csv"'
    # The template has a Groups column too; exports do not (see test_admin_downloads).
    assert csv_rows(response.content) == [WITH_GROUPS, EXAMPLE_WITH_GROUPS]

    response = admin_client.get(url("template", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="roster-people-template.xlsx"'
    assert xlsx_rows(response.content) == [WITH_GROUPS, EXAMPLE_WITH_GROUPS]

    assert admin_client.get(url("template", "pdf")).status_code == 404


def test_upload_page_links_both_templates(admin_client):
    page = admin_client.get(ADD_URL).content.decode()
    assert url("template", "csv") in page
    assert url("template", "xlsx") in page


# --- upload and preview ------------------------------------------------------------


def test_upload_shows_preview_counts_changes_and_errors_and_writes_nothing(admin_client):
    PersonFactory(
        email="bob@example.com",
        first_name="Bob",
        last_name="Stone",
        job_title="Boss",
        department="Sales",
    )
    PersonFactory(
        email="carol@example.com",
        first_name="Carol",
        last_name="Reed",
        job_title="Analyst",
        department="Sales",
    )
    before = people()

    job = uploaded(
        admin_client,
        [
            ["ada@example.com", "Ada", "Lovelace", "Analyst", "Engineering"],
            ["bob@example.com", "Bob", "Stone", "Director", "Sales"],
            ["carol@example.com", "Carol", "Reed", "Analyst", "Sales"],
            ["not-an-email", "Dan", "Brown", "Clerk", "Sales"],
        ],
    )

    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert job.counts == {
        "new": 1,
        "updated": 1,
        "unchanged": 1,
        "deactivated": 0,
        "reactivated": 0,
        "skipped": 0,
        "errors": 1,
    }
    assert people() == before
    response = admin_client.get(url("change", job.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="preview-note"' in page
    for key, count in job.counts.items():
        # Skipped staff get a card only when there are some.
        assert (f'id="count-{key}" data-count="{count}"' in page) is (key != "skipped")
    rows = response.context["rows"]
    assert [(r["row"], r["email"], r["action"]) for r in rows] == [
        (5, "not-an-email", "error"),
        (2, "ada@example.com", "new"),
        (3, "bob@example.com", "update"),
        (4, "carol@example.com", "unchanged"),
    ]
    assert rows[2]["changes"] == [{"field": "Job title", "old": "Boss", "new": "Director"}]
    assert {c["field"]: (c["old"], c["new"]) for c in rows[1]["changes"]} == {
        "Email": ("—", "ada@example.com"),
        "First name": ("—", "Ada"),
        "Last name": ("—", "Lovelace"),
        "Full name": ("—", "Ada Lovelace"),
        "Job title": ("—", "Analyst"),
        "Department": ("—", "Engineering"),
    }
    error = rows[0]["errors"][0]
    assert error["column"] == "Email"
    assert error["message"] in page
    assert "Boss → Director" in page


def test_xlsx_upload_with_a_status_column_previews_deactivations_and_reactivations(
    admin_client,
):
    PersonFactory(email="bob@example.com", status=Person.Status.STAGED)
    PersonFactory(email="carol@example.com", status=Person.Status.DEACTIVATED)
    content = xlsx_bytes(
        {
            "People": [
                ["Email", "Status"],
                ["bob@example.com", "Deactivated"],
                ["carol@example.com", "Active"],
            ]
        }
    )
    upload(admin_client, content, filename="people.xlsx")
    job = ImportJob.objects.get()
    assert (job.file_format, job.count_deactivated, job.count_reactivated) == ("xlsx", 1, 1)

    rows = admin_client.get(url("change", job.pk)).context["rows"]
    assert [(r["email"], r["action_label"], r["changes"]) for r in rows] == [
        (
            "bob@example.com",
            "Deactivated",
            [{"field": "Status", "old": "Awaiting invitation", "new": "Deactivated"}],
        ),
        (
            "carol@example.com",
            "Reactivated",
            [{"field": "Status", "old": "Deactivated", "new": "Awaiting invitation"}],
        ),
    ]


def test_preview_pages_through_big_files_reading_only_the_rows_shown(admin_client):
    rows = [[f"p{i:04}@example.com", "P", str(i), "", ""] for i in range(1, 1101)]
    rows.insert(10, ["bad-email", "", "", "", ""])
    job = uploaded(admin_client, rows)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url("change", job.pk) + "?action=new&page=22")
    shown = response.context["rows"]
    assert [r["row"] for r in shown] == [*range(1053, 1103)]
    assert {r["action"] for r in shown} == {"new"}
    assert "Rows 1,051\u20131,100 of 1,100" in response.content.decode()
    reads = [q["sql"] for q in queries if '"provisioning_importchunk"."entries"' in q["sql"]]
    assert len(reads) == 1
    assert '"index" >= 2' in reads[0] and '"index" <= 2' in reads[0]

    response = admin_client.get(url("change", job.pk) + "?action=error")
    assert [(r["row"], r["email"]) for r in response.context["rows"]] == [(12, "bad-email")]
    tabs = {t["label"]: (t["count"], t["active"]) for t in response.context["tabs"]}
    assert tabs == {"All": (1101, False), "Errors": (1, True), "New": (1100, False)}

    response = admin_client.get(url("change", job.pk) + "?page=2")
    # "All" lists the error first, then the new rows (row 12 is the bad one).
    assert [r["row"] for r in response.context["rows"]][:2] == [52, 53]


def test_unknown_column_is_listed_and_mapping_it_makes_the_preview_again(admin_client):
    content = csv_bytes([["Email", "Work title"], ["ada@example.com", "Analyst"]])
    upload(admin_client, content)
    job = ImportJob.objects.get()
    assert job.unresolved_columns == ["Work title"]

    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="file-problems"' not in page
    assert 'id="not-imported"' in page
    assert "Columns not imported" in page
    assert 'data-count="1"' in page.split('id="count-not-imported"')[1][:40]
    assert 'name="column_1"' in page
    assert 'id="blocked-note"' not in page

    response = post_and_plan(admin_client, url("columns", job.pk), {"column_1": "job_title"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.column_mapping == {"Work title": "job_title"}
    assert job.file_errors == []
    assert job.unresolved_columns == []
    rows = admin_client.get(url("change", job.pk)).context["rows"]
    assert rows[0]["changes"] == [
        {"field": "Email", "old": "—", "new": "ada@example.com"},
        {"field": "Job title", "old": "—", "new": "Analyst"},
    ]

    post_and_plan(admin_client, url("columns", job.pk), {"column_1": "__ignore__"})
    job.refresh_from_db()
    assert job.column_mapping == {"Work title": None}
    assert job.file_errors == []
    rows = admin_client.get(url("change", job.pk)).context["rows"]
    assert rows[0]["changes"] == [{"field": "Email", "old": "—", "new": "ada@example.com"}]


def test_unreadable_file_shows_why_on_the_import_page(admin_client):
    upload(admin_client, b"PK\x03\x04 not really a workbook", filename="people.xlsx")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Roster could not make a preview of this file." in page
    assert job.error_message in page


def test_upload_returns_at_once_and_a_worker_prepares_the_preview_also_after_column_choices(
    admin_client, django_capture_on_commit_callbacks
):
    content = csv_bytes([["Email", "Work title"], ["ada@example.com", "Analyst"]])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(ADD_URL, {"file": SimpleUploadedFile("people.csv", content)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("change", job.pk)
    # Nothing was read while the request waited.
    assert (job.status, job.file_format, job.headers, job.planned_at) == (
        "planning",
        "",
        [],
        None,
    )
    assert job.chunks.count() == 0
    assert len(callbacks) == 1
    assert callbacks[0].func.__self__.name == plan_import_task.name
    assert callbacks[0].args == (job.pk,)
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Preparing the preview…" in page
    assert "js/import_progress.js" in page
    progress = admin_client.get(url("progress", job.pk)).json()
    assert (progress["phase"], progress["finished"]) == ("planning", False)

    assert plan_import_task(job.pk) == "ready"

    progress = admin_client.get(url("progress", job.pk)).json()
    assert (progress["phase"], progress["finished"]) == ("preview", True)
    assert admin_client.get(url("change", job.pk)).context["unknown_columns"] == ["Work title"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url("columns", job.pk), {"column_1": "job_title"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.column_mapping) == ("planning", {"Work title": "job_title"})
    assert [c.args for c in callbacks] == [(job.pk,)]

    assert plan_import_task(job.pk) == "ready"
    job.refresh_from_db()
    assert (job.file_errors, job.count_new) == ([], 1)
    # A repeated task finds nothing to do.
    assert plan_import_task(job.pk) == "skipped"


def _workbook_declaring_the_whole_sheet_with_a_value_in_its_last_cell() -> bytes:
    saved = xlsx_bytes({"People": [["Email"], ["ada@example.com"]]})
    source, target = io.BytesIO(saved), io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<dimension ref="A1:A2" />', b'<dimension ref="A1:XFD1048576" />'
                )
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
                    b"</row></sheetData>",
                )
            zout.writestr(item, data)
    return target.getvalue()


def test_crafted_workbook_is_not_read_in_the_request_and_its_preview_fails_quickly(
    admin_client, django_capture_on_commit_callbacks
):
    content = _workbook_declaring_the_whole_sheet_with_a_value_in_its_last_cell()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(ADD_URL, {"file": SimpleUploadedFile("p.xlsx", content)})
    job = ImportJob.objects.get()
    assert response["Location"] == url("change", job.pk)
    assert job.status == "planning"
    assert [c.args for c in callbacks] == [(job.pk,)]

    started = time.process_time()
    assert plan_import_task(job.pk) == "failed"
    assert time.process_time() - started < 2
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Roster could not make a preview of this file." in page
    assert "Roster reads at most 500 columns." in page
    assert Person.objects.filter(email="ada@example.com").count() == 0
