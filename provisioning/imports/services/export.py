"""Spreadsheets out: the import template, an import's error report, and the
people export (re-importable, with the template's headers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from accounts.models import Person
from accounts.phones import display_phone
from accounts.services import Actorish, require
from provisioning.exceptions import ImportProblem
from provisioning.imports import reader as spreadsheet
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action


def build_template(file_format: str) -> bytes:
    """Return the import template (every column, one example row) as CSV or XLSX."""
    headers = list(spreadsheet.TEMPLATE_HEADERS.values())
    example = [spreadsheet.TEMPLATE_EXAMPLE[a] for a in spreadsheet.TEMPLATE_HEADERS]
    return _write(file_format, headers, [example], title="People")


def build_error_report(job: ImportJob, file_format: str, *, by: Actorish) -> bytes:
    """Return the rows with errors as uploaded, plus an Errors column (CSV or XLSX)."""
    require(by, "provisioning.view_importjob")
    headers = list(job.headers)
    rows: list[list[Any]] = []
    for problem in job.file_errors:
        rows.append([""] * len(headers) + [_problem_text(problem)])
    for entry in selectors.iter_import_rows(job, [Action.ERROR]):
        raw = entry.get("raw") or {}
        text = "; ".join(
            f"Row {entry['row']}, {e['column']}: {e['message']}" for e in entry.get("errors", [])
        )
        rows.append([raw.get(h, "") for h in headers] + [text])
    return _write(file_format, [*headers, "Errors"], rows, title="Errors")


def _problem_text(problem: dict[str, Any]) -> str:
    where = f"Row {problem['row']}, " if problem.get("row") else ""
    column = f"{problem['column']}: " if problem.get("column") else ""
    return f"{where}{column}{problem['message']}"


# The export's columns, in the template's order, as values of a Person row.
_EXPORT_VALUES = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager__email",
    "manager__external_id",
    "job_title",
    "department",
    "phone_number",
    "location",
    "start_date",
    "status",
)
EXPORT_CHUNK = 2000


def export_people(queryset: QuerySet[Person], file_format: str, *, by: Actorish) -> bytes:
    """Return ``queryset`` as CSV or XLSX with the template's headers (re-importable).

    Text a spreadsheet would run as a formula is neutralised. Raises NotAllowed.
    """
    require(by, "accounts.view_person")
    return _write(file_format, _export_headers(), _export_rows(queryset), title="People")


def stream_people_csv(queryset: QuerySet[Person], *, by: Actorish) -> Iterator[bytes]:
    """Return the CSV that ``export_people`` makes, as pieces to stream.

    Checks the role before returning (raises NotAllowed); the people are then
    read ``EXPORT_CHUNK`` at a time while the pieces are consumed.
    """
    require(by, "accounts.view_person")
    return spreadsheet.iter_csv(
        _export_headers(), _export_rows(queryset), rows_per_chunk=EXPORT_CHUNK
    )


def _export_headers() -> list[str]:
    # Memberships are not exported: the Groups column is for bringing them in.
    return [label for name, label in spreadsheet.TEMPLATE_HEADERS.items() if name != "groups"]


def _export_rows(queryset: QuerySet[Person]) -> Iterator[list[Any]]:
    # Plain values, not Person instances: building 100,000 instances (and
    # their managers) costs several times the query itself.
    statuses = {value: str(label) for value, label in Person.Status.choices}
    rows = queryset.order_by("pk").values_list(*_EXPORT_VALUES)
    for (
        email,
        external_id,
        first_name,
        last_name,
        full_name,
        manager_email,
        manager_external_id,
        job_title,
        department,
        phone_number,
        location,
        start_date,
        status,
    ) in rows.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            email,
            external_id or "",
            first_name,
            last_name,
            full_name,
            manager_email or "",
            manager_external_id or "",
            job_title,
            department,
            display_phone(phone_number),
            location,
            start_date.isoformat() if start_date else "",
            statuses.get(status, status),
        ]


def _write(file_format: str, headers: list[str], rows: Iterable[Any], *, title: str) -> bytes:
    if file_format == "csv":
        return spreadsheet.write_csv(headers, rows)
    if file_format == "xlsx":
        return spreadsheet.write_xlsx(headers, rows, title=title)
    raise ImportProblem(f"“{file_format}” is not a format Roster writes; use csv or xlsx.")
