"""Helpers of the import admin tests: the pages' URLs, uploading through the
upload page (running the preview task it queues), and reading downloads."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import plan_import_task
from tests.provisioning.conftest import csv_bytes

ADD_URL = reverse("admin:provisioning_importjob_add")
LIST_URL = reverse("admin:provisioning_importjob_changelist")
PEOPLE_URL = reverse("admin:accounts_person_changelist")
HEADER = ["Email", "First name", "Last name", "Job title", "Department"]
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
    "Start date",
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
    "2025-09-01",
    "Active",
]


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
