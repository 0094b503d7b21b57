"""The uploaded file of an import: limits, storing it as a new import, opening
and deleting it.

Files live under MEDIA_ROOT/imports/ with a random name until the import is
applied or the retention period ends (``housekeeping.purge_imports``).
"""

from __future__ import annotations

import io
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from accounts.jobs import task
from accounts.models import Person
from accounts.services import Actorish, require
from provisioning.exceptions import FileTooLarge, ImportNotReady
from provisioning.imports import reader as spreadsheet
from provisioning.imports.models import ImportJob


def setting(name: str, default: Any) -> Any:
    """Return the import setting ``name`` (ROSTER_IMPORT_*), or ``default``."""
    return getattr(settings, name, default)


def limits() -> spreadsheet.Limits:
    """Return the configured file limits."""
    return spreadsheet.Limits(
        max_bytes=setting("ROSTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        max_rows=setting("ROSTER_IMPORT_MAX_ROWS", 200_000),
        max_cells=setting("ROSTER_IMPORT_MAX_CELLS", 5_000_000),
    )


def start_import(
    upload: IO[bytes] | bytes,
    *,
    by: Actorish,
    filename: str,
    complete_list: bool = False,
    skip_invalid: bool = False,
    remove_from_groups: bool = False,
    sheet: str = "",
    mapping: dict[str, str | None] | None = None,
    queue_plan: bool = False,
) -> ImportJob:
    """Store an uploaded file as a new import waiting for its preview.

    The file is kept under MEDIA_ROOT/imports/ with a random name until it is
    applied or the retention period ends. With ``queue_plan`` the job starts
    "planning" and ``plan_import_task`` is enqueued on commit: the file is
    not read here. ``remove_from_groups``: with a Groups column, people also
    leave the spreadsheet-made groups their row no longer lists. Raises
    NotAllowed (role; a complete list is for System administrators only) or
    FileTooLarge before storing.
    """
    plan_import_task = task("provisioning.imports.tasks.plan_import_task")

    require(by, "provisioning.add_importjob")
    if complete_list:
        require(by, "provisioning.import_complete_list")
    stream = io.BytesIO(upload) if isinstance(upload, bytes) else upload
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    max_bytes = limits().max_bytes
    if size > max_bytes:
        raise FileTooLarge(
            f"The file is {size / (1024 * 1024):.1f} MB; the most Roster accepts is "
            f"{max_bytes / (1024 * 1024):.0f} MB. Split it into smaller files."
        )
    job = ImportJob(
        created_by=by if isinstance(by, Person) else None,
        original_filename=filename[:255],
        file_size=size,
        sheet=sheet or "",
        is_complete_list=complete_list,
        skip_invalid=skip_invalid,
        remove_from_groups=remove_from_groups,
        column_mapping=mapping or {},
    )
    if queue_plan:
        job.status = ImportJob.Status.PLANNING
        job.planning_started_at = timezone.now()
    job.file.save(filename, File(stream), save=False)
    with transaction.atomic():
        job.save()
        if queue_plan:
            transaction.on_commit(partial(plan_import_task.delay, job.pk))
    return job


def open_import_file(job: ImportJob, *, by: Actorish) -> IO[bytes]:
    """Open the uploaded file for someone allowed to import (it holds every
    column as uploaded). Raises NotAllowed, ImportNotReady when the file was
    already deleted."""
    require(by, "provisioning.add_importjob")
    if not job.file:
        raise ImportNotReady("The uploaded file was deleted after the import.")
    return job.file.open("rb")


def delete_file(job: ImportJob) -> None:
    """Delete the job's uploaded file, if it still has one, and say when."""
    if job.file:
        job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="", file_deleted_at=timezone.now())
