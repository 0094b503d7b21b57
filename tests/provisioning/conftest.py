"""Helpers for import tests: build files, run an upload through its preview."""

from __future__ import annotations

import codecs
import io
from typing import Any

import openpyxl
import pytest

from provisioning.imports import services

HEADERS = [
    "Email",
    "Employee ID",
    "First name",
    "Last name",
    "Manager email",
    "Job title",
    "Department",
    "Phone number",
    "Location",
]


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    lines = []
    for row in rows:
        cells = []
        for value in row:
            text = "" if value is None else str(value)
            if any(c in text for c in (delimiter, '"', "\n", "\r")):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(
    content: bytes, by: Any, *, filename: str = "people.csv", **options: Any
) -> tuple[Any, Any]:
    """Upload ``content`` and make its preview; return (job, plan)."""
    mapping = options.pop("mapping", None)
    job = services.start_import(content, by=by, filename=filename, mapping=mapping, **options)
    plan = services.plan_import(job, by=by)
    job.refresh_from_db()
    return job, plan


def apply_now(job: Any, by: Any, *, confirm_text: str = "") -> Any:
    """Confirm and apply ``job`` in this process (what the Celery task does)."""
    services.confirm_import(job, by=by, confirm_text=confirm_text)
    job = services.apply_import(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


BOM = codecs.BOM_UTF8
