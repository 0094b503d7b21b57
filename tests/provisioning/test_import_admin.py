"""The import pages of the admin: upload, preview, options, confirm, progress, reports,
templates, exports of the People list, and who may do what."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Person
from provisioning.imports.models import ImportJob
from provisioning.imports.services import export
from provisioning.imports.tasks import apply_import_task, plan_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ADD_URL = reverse("admin:provisioning_importjob_add")
LIST_URL = reverse("admin:provisioning_importjob_changelist")
PEOPLE_URL = reverse("admin:accounts_person_changelist")
HEADER = ["Email", "First name", "Last name", "Job title", "Department"]


def url(view: str, *args: object) -> str:
    return reverse(f"admin:provisioning_importjob_{view}", args=args)


def run_queued_plans(callbacks: list) -> None:
    """Run the preview tasks a request queued, as a worker would."""
    for callback in callbacks:
        if callback.func.__self__.name == plan_import_task.name:
            plan_import_task(*callback.args)


def post_and_plan(client, path: str, data: dict):
    """POST, then run the preview task it queued (the page shows its result)."""
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = client.post(path, data)
    run_queued_plans(callbacks)
    return response


def upload(client, content: bytes, filename: str = "people.csv", **data: object):
    """Upload a file and run the preview task the upload queued."""
    return post_and_plan(client, ADD_URL, {"file": SimpleUploadedFile(filename, content), **data})


def uploaded(client, rows: list[list[object]], **data: object) -> ImportJob:
    response = upload(client, csv_bytes([HEADER, *rows]), **data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get()
    assert response["Location"] == url("change", job.pk)
    return job


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def people() -> list[tuple[str, str, str]]:
    return list(Person.objects.order_by("email").values_list("email", "job_title", "status"))


@pytest.fixture
def manager_client(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


# --- templates ------------------------------------------------------------------


TEMPLATE_HEADER = [
    "Email",
    "Employee ID",
    "First name",
    "Last name",
    "Full name",
    "Manager email",
    "Manager employee ID",
    "Job title",
    "Department",
    "Phone number",
    "Location",
    "Status",
]
TEMPLATE_EXAMPLE = [
    "ada.lovelace@example.com",
    "00123",
    "Ada",
    "Lovelace",
    "Ada Lovelace",
    "charles.babbage@example.com",
    "",
    "Analyst",
    "Engineering",
    "'+44 20 7946 0018",
    "London",
    "Active",
]


def test_templates_download_as_csv_and_xlsx_with_every_column_and_an_example_row(admin_client):
    response = admin_client.get(url("template", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roster-people-template.csv"'
    assert csv_rows(response.content) == [TEMPLATE_HEADER, TEMPLATE_EXAMPLE]

    response = admin_client.get(url("template", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="roster-people-template.xlsx"'
    assert xlsx_rows(response.content) == [TEMPLATE_HEADER, TEMPLATE_EXAMPLE]

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


# --- options and confirmation ------------------------------------------------------


def test_errors_block_the_import_unless_the_user_skips_the_invalid_rows(
    admin_client, django_capture_on_commit_callbacks
):
    job = uploaded(
        admin_client,
        [["ada@example.com", "Ada", "L", "", ""], ["nope", "Dan", "B", "", ""]],
    )
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Import the valid rows and skip the 1 invalid row" in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 400
    assert "1 row has errors. Correct the file, or choose to import the valid rows" in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert (job.confirmed_at, job.skip_invalid) == (None, False)
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"}
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.skip_invalid is True
    assert job.confirmed_at is not None
    assert len(callbacks) == 1

    assert apply_import_task(job.pk) == "done"
    assert people()[0] == ("ada@example.com", "", "staged")
    assert Person.objects.count() == 2


def test_complete_list_is_offered_to_administrators_only_and_refused_to_others(
    client, admin_user, account_manager
):
    client.force_login(admin_user)
    assert 'name="complete_list"' in client.get(ADD_URL).content.decode()

    client.force_login(account_manager)
    assert 'name="complete_list"' not in client.get(ADD_URL).content.decode()
    assert "complete list" not in client.get(ADD_URL).content.decode()
    response = upload(
        client, csv_bytes([HEADER, ["ada@example.com", "", "", "", ""]]), complete_list="on"
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_account_manager_cannot_apply_an_administrators_complete_list(
    client, admin_user, account_manager, django_capture_on_commit_callbacks
):
    PersonFactory(email="old@example.com", source="spreadsheet")
    client.force_login(admin_user)
    job = uploaded(client, [["ada@example.com", "", "", "", ""]], complete_list="on")
    job.refresh_from_db()
    assert (job.is_complete_list, job.count_deactivated) == (True, 1)

    client.force_login(account_manager)
    page = client.get(url("change", job.pk)).content.decode()
    assert 'id="import-options"' not in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert callbacks == []


def test_deactivating_more_than_the_threshold_needs_the_typed_confirmation(
    admin_client, django_capture_on_commit_callbacks
):
    for name in ("a", "b", "c"):
        PersonFactory(email=f"{name}@example.com", source="spreadsheet")
    job = uploaded(admin_client, [["a@example.com", "", "", "", ""]], complete_list="on")
    job.refresh_from_db()
    assert (job.count_absent, job.deactivation_threshold) == (2, 0)

    response = admin_client.get(url("change", job.pk) + "?action=deactivate")
    page = response.content.decode()
    assert "2 people added from earlier spreadsheets are missing from it" in page
    assert "Type DEACTIVATE 2 to deactivate 2 people who are missing from the file." in page
    assert [(r["email"], r["row"]) for r in response.context["rows"]] == [
        ("b@example.com", None),
        ("c@example.com", None),
    ]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        missing = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
        wrong = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "confirm_text": "DEACTIVATE 3"}
        )
    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert "Type “DEACTIVATE 2” to confirm." in wrong.content.decode()
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "confirm_text": "deactivate 2"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert apply_import_task(job.pk) == "done"
    assert [s for e, _, s in people() if e in ("b@example.com", "c@example.com")] == [
        "deactivated",
        "deactivated",
    ]


@pytest.mark.parametrize("view", ["columns", "sheet", "replan", "confirm"])
def test_preview_choices_and_confirmation_refuse_a_plain_get(admin_client, view):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "", "", ""]])

    response = admin_client.get(url(view, job.pk))

    assert response.status_code == 405
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert not Person.objects.filter(email="ada@example.com").exists()


def test_deactivations_within_the_threshold_need_no_typed_confirmation(admin_client, settings):
    settings.ROSTER_IMPORT_DEACTIVATION_PERCENT = 100
    for name in ("a", "b", "c"):
        PersonFactory(email=f"{name}@example.com", source="spreadsheet")
    job = uploaded(admin_client, [["a@example.com", "", "", "", ""]], complete_list="on")
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="typed-confirmation"' not in page
    response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 302


def test_confirm_enqueues_the_apply_and_progress_reports_done_after_the_task(
    admin_client, django_capture_on_commit_callbacks
):
    job = uploaded(
        admin_client,
        [["ada@example.com", "Ada", "L", "", ""], ["bob@example.com", "Bob", "S", "", ""]],
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 302
    assert response["Location"] == url("change", job.pk)
    assert len(callbacks) == 1
    assert callbacks[0].func.__self__.name == apply_import_task.name
    assert callbacks[0].args == (job.pk,)
    assert Person.objects.count() == 1

    page = admin_client.get(url("change", job.pk)).content.decode()
    assert f'data-progress-url="{url("progress", job.pk)}"' in page
    assert "js/import_progress.js" in page
    progress = admin_client.get(url("progress", job.pk)).json()
    assert (progress["phase"], progress["status_label"], progress["finished"]) == (
        "applying",
        "Waiting for a worker",
        False,
    )

    assert apply_import_task(job.pk) == "done"

    progress = admin_client.get(url("progress", job.pk)).json()
    assert progress["status"] == "done"
    assert progress["finished"] is True
    assert progress["percent"] == 100
    assert progress["counts"]["new"] == 2
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="import-done"' in page
    assert "js/import_progress.js" not in page
    assert [p for p in people() if p[0] != "admin@example.com"] == [
        ("ada@example.com", "", "staged"),
        ("bob@example.com", "", "staged"),
    ]


def test_new_people_can_be_invited_now_or_at_a_set_time(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'value="now"' in page and 'value="at"' in page and 'value="none"' in page

    past = admin_client.post(
        url("confirm", job.pk), {"invite_mode": "at", "invite_at": "2001-01-01T09:00"}
    )
    assert past.status_code == 400
    assert "Choose a time in the future." in past.content.decode()

    when = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = admin_client.post(
        url("confirm", job.pk),
        {"invite_mode": "at", "invite_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    assert apply_import_task(job.pk) == "done"
    ada = Person.objects.get(email="ada@example.com")
    invitation = Invitation.objects.get(person=ada)
    assert invitation.send_at == when
    assert ada.status == Person.Status.INVITED
    job.refresh_from_db()
    assert job.invite_note.startswith("Invited 1 person; the emails go out at ")


def test_without_choosing_invitations_nobody_is_invited(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    apply_import_task(job.pk)
    assert Invitation.objects.count() == 0
    assert Person.objects.get(email="ada@example.com").status == Person.Status.STAGED


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
    assert [(r[0], r[1], r[5], r[6], r[9], r[11]) for r in rows[1:]] == [
        ("boss@example.com", "007", "", "", "'+44 20 7946 0018", "Awaiting invitation"),
        ("ann@example.com", "", "boss@example.com", "007", "", "Invited"),
        ("ben@example.com", "", "boss@example.com", "007", "", "Invited"),
        ("cy@example.com", "", "boss@example.com", "007", "", "Invited"),
    ]


# --- roles ------------------------------------------------------------------------


def _job_by(person) -> ImportJob:
    from tests.provisioning.conftest import preview

    job, _ = preview(
        csv_bytes([HEADER, ["ada@example.com", "", "", "", ""], ["nope", "", "", "", ""]]),
        person,
    )
    return job


@pytest.mark.parametrize("role", ["admin_user", "account_manager"])
def test_administrators_and_account_managers_can_import(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(ADD_URL).status_code == 200
    assert client.get(url("template", "csv")).status_code == 200
    page = client.get(LIST_URL).content.decode()
    assert f'href="{ADD_URL}"' in page
    assert f'href="{ADD_URL}"' in client.get(PEOPLE_URL).content.decode()
    job = uploaded(client, [["ada@example.com", "Ada", "L", "", ""]])
    assert 'id="import-options"' in client.get(url("change", job.pk)).content.decode()
    assert client.post(url("confirm", job.pk), {"invite_mode": "none"}).status_code == 302


def test_auditors_see_imports_and_previews_but_cannot_upload_or_apply(
    client, admin_user, auditor, django_capture_on_commit_callbacks
):
    job = _job_by(admin_user)
    client.force_login(auditor)

    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert "people.csv" in listing.content.decode()
    assert f'href="{ADD_URL}"' not in listing.content.decode()
    assert f'href="{ADD_URL}"' not in client.get(PEOPLE_URL).content.decode()
    page = client.get(url("change", job.pk))
    assert page.status_code == 200
    assert [r["email"] for r in page.context["rows"]] == ["nope", "ada@example.com"]
    html = page.content.decode()
    for marker in ('id="import-options"', 'id="column-mapping"', url("file", job.pk)):
        assert marker not in html
    assert client.get(url("progress", job.pk)).status_code == 200
    assert client.get(url("errors", job.pk, "csv")).status_code == 200
    assert client.get(url("export", "csv")).status_code == 200

    before = list(ImportJob.objects.values())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refused = [
            client.get(ADD_URL),
            upload(client, csv_bytes([HEADER, ["x@example.com", "", "", "", ""]])),
            client.post(url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"}),
            post_and_plan(client, url("columns", job.pk), {}),
            post_and_plan(client, url("replan", job.pk), {}),
            post_and_plan(client, url("sheet", job.pk), {"sheet": "People"}),
            client.get(url("file", job.pk)),
            client.get(url("template", "csv")),
        ]
    assert [r.status_code for r in refused] == [403] * 8
    assert list(ImportJob.objects.values()) == before
    assert callbacks == []
    assert Person.objects.filter(email="x@example.com").count() == 0


def test_people_without_a_role_see_nothing_of_imports(client, admin_user):
    job = _job_by(admin_user)
    client.force_login(PersonFactory(email="nobody@example.com"))
    urls = [
        LIST_URL,
        ADD_URL,
        url("change", job.pk),
        url("progress", job.pk),
        url("errors", job.pk, "csv"),
        url("file", job.pk),
        url("template", "csv"),
        url("export", "csv"),
    ]
    for target in urls:
        response = client.get(target)
        assert response.status_code == 302, target
        assert "/login/" in response["Location"]
    response = client.post(url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.confirmed_at is None


def test_imports_list_shows_who_when_file_counts_status_and_duration(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    apply_import_task(job.pk)
    job.refresh_from_db()

    response = admin_client.get(LIST_URL)
    html = response.content.decode()
    assert f"#{job.pk}" in html
    assert "people.csv" in html
    assert job.created_by.display_name in html
    assert "1 new, 0 updated, 0 unchanged" in html
    assert "Done" in html
    assert f"{job.duration:.1f} s" in html
    assert url("change", job.pk) in html
