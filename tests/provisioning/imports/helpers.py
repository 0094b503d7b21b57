"""Helpers of the import tests: reading a preview's row errors and columns,
building rows, and snapshots of people to assert that nothing changed."""

from __future__ import annotations

import io
import zipfile

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.selectors import list_import_rows
from tests.provisioning.conftest import xlsx_bytes

ADA = ["ada@example.com", "00123", "Ada", "Lovelace", "", "Analyst", "Engineering", "", "London"]


def people_count() -> int:
    return Person.objects.count()


def row_errors(job: ImportJob) -> list[tuple[int, str, str]]:
    return [
        (entry["row"], error["column"], error["message"])
        for entry in list_import_rows(job, action="error", limit=1000)
        for error in entry["errors"]
    ]


def not_imported(job) -> list[str]:
    return job.unresolved_columns


def person(email: str) -> Person:
    return Person.objects.get(email=email)


def row(email, ext="", first="", last="", manager="", title="", dept="", phone="", loc=""):
    return [email, ext, first, last, manager, title, dept, phone, loc]


def snapshot_people() -> list[tuple]:
    return list(
        Person.objects.order_by("pk").values_list(
            "email", "external_id", "job_title", "manager_id", "status", "version"
        )
    )


def workbook_with(replacements: dict[str, bytes]) -> bytes:
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
