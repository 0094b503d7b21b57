"""The preview of an import: read the file, plan every change, store the plan.

A preview is made in the request (``plan_import``) or by a worker
(``queue_import_plan``, then ``plan_queued_import`` in the task). The plan is
stored on the job in chunks (``ImportChunk``) for the preview pages and for
``apply_plan``. Making a preview writes no person.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.exceptions import DomainError
from accounts.jobs import task
from accounts.models import Person
from accounts.services import Actorish, require
from provisioning.exceptions import ImportNotReady, ImportProblem
from provisioning.imports import reader as spreadsheet
from provisioning.imports import selectors
from provisioning.imports.models import ImportChunk, ImportJob, SavedColumnMapping
from provisioning.imports.services.bulk import insert_rows
from provisioning.imports.services.groups import plan_import_groups
from provisioning.imports.services.mappings import describe_saved, mapping_for_headers
from provisioning.imports.services.upload import limits, setting
from provisioning.reconcile import Action, Plan, PlanOptions, PlanRow, compute_plan


def plan_import(
    job: ImportJob,
    *,
    by: Actorish,
    mapping: dict[str, str | None] | None = None,
    sheet: str | None = None,
    skip_invalid: bool | None = None,
    remove_from_groups: bool | None = None,
) -> Plan:
    """Read the job's file, plan every change, and store the preview on the job.

    ``mapping`` ({header: attribute or None}) tells what a column holds (None
    ignores it); columns holding no attribute are simply not imported.
    ``sheet`` names the workbook's sheet to read; choosing another sheet than
    before forgets the column choices (unless ``mapping`` is given), as they
    named the other sheet's columns. ``remove_from_groups`` (when given)
    replaces the choice made at upload. Writes no person and no group.
    Raises UnreadableFile/FileTooLarge (recorded on the job, which becomes
    failed), ImportNotReady, NotAllowed.
    """
    require(by, "provisioning.add_importjob")
    if job.is_complete_list:
        require(by, "provisioning.import_complete_list")
    updates = _choice_updates(job, mapping=mapping, sheet=sheet)
    if skip_invalid is not None:
        updates["skip_invalid"] = skip_invalid
    if remove_from_groups is not None:
        updates["remove_from_groups"] = remove_from_groups
    claimed = ImportJob.objects.filter(
        pk=job.pk,
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.READY, ImportJob.Status.FAILED],
        file_deleted_at__isnull=True,
    ).update(
        status=ImportJob.Status.PLANNING,
        planning_started_at=timezone.now(),
        planned_at=None,
        confirmed_at=None,
        error_message="",
        **updates,
    )
    job.refresh_from_db()
    if not claimed:
        raise ImportNotReady(
            f"This import is {job.get_status_display().lower()}; it cannot be previewed again."
        )
    return _make_plan(job, by=by)


def queue_import_plan(
    job: ImportJob,
    *,
    by: Actorish,
    mapping: dict[str, str | None] | None = None,
    sheet: str | None = None,
) -> ImportJob:
    """Have a worker make (or remake) the job's preview, so no page waits while
    a file is read. ``mapping`` and ``sheet`` as for ``plan_import``.

    The job becomes "planning"; any earlier confirmation is withdrawn.
    Enqueues ``plan_import_task`` on commit. Raises NotAllowed,
    ImportNotReady (being applied or planned, or the file was deleted);
    changes nothing when it raises.
    """
    plan_import_task = task("provisioning.imports.tasks.plan_import_task")

    require(by, "provisioning.add_importjob")
    if job.is_complete_list:
        require(by, "provisioning.import_complete_list")
    updates = _choice_updates(job, mapping=mapping, sheet=sheet)
    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            pk=job.pk,
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.READY, ImportJob.Status.FAILED],
            file_deleted_at__isnull=True,
        ).update(
            status=ImportJob.Status.PLANNING,
            planning_started_at=timezone.now(),
            planned_at=None,
            confirmed_at=None,
            error_message="",
            **updates,
        )
        if claimed:
            transaction.on_commit(partial(plan_import_task.delay, job.pk))
    job.refresh_from_db()
    if not claimed:
        raise ImportNotReady(
            f"This import is {job.get_status_display().lower()}; it cannot be previewed again."
        )
    return job


def plan_queued_import(job_id: int) -> ImportJob | None:
    """Make the preview of a job left "planning" by ``queue_import_plan`` or
    ``start_import(queue_plan=True)``, as the person who uploaded it.

    Returns None when there is nothing to do (no such job, or its preview is
    no longer awaited). A file Roster cannot read, a missing uploader or an
    unexpected failure is recorded on the job, which becomes failed; the
    unexpected failure is raised again.
    """
    # Jobs queued before previews were always prepared by a worker wait as "queued".
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.PLANNING, planning_started_at=timezone.now()
    )
    job = (
        ImportJob.objects.select_related("created_by")
        .filter(pk=job_id, status=ImportJob.Status.PLANNING)
        .first()
    )
    if job is None:
        return None
    uploader = job.created_by
    if uploader is None:
        fail_plan(job, "The person who uploaded this file is no longer in Roster.")
        return job
    try:
        require(uploader, "provisioning.add_importjob")
        if job.is_complete_list:
            require(uploader, "provisioning.import_complete_list")
    except DomainError as exc:
        fail_plan(job, exc.message)
        return job
    # Recorded on the job for the person who uploaded the file.
    with contextlib.suppress(ImportProblem):
        _make_plan(job, by=uploader)
    job.refresh_from_db()
    return job


def fail_plan(job: ImportJob, message: str, **fields: Any) -> None:
    """Fail a job still "planning", recording ``message`` as the file's problem."""
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PLANNING).update(
        status=ImportJob.Status.FAILED,
        error_message=message,
        file_errors=[{"row": None, "column": "", "message": message}],
        count_errors=1,
        **fields,
    )
    cache.delete(selectors.progress_key(job.pk))
    job.refresh_from_db()


def _make_plan(job: ImportJob, *, by: Actorish) -> Plan:
    """Read the file of a job claimed "planning", plan, and store the preview."""
    key = selectors.progress_key(job.pk)

    def rows_read(count: int) -> None:
        cache.set(key, {"processed": count, "total": 0}, timeout=3600)

    saved: list[SavedColumnMapping] = []
    try:
        with job.file.open("rb") as stream:
            parsed = spreadsheet.read_spreadsheet(
                stream,
                filename=job.original_filename,
                sheet=job.sheet or None,
                mapping=job.column_mapping,
                limits=limits(),
                on_row=rows_read,
                # Choices made on this job win over saved ones.
                mapping_for=lambda headers: mapping_for_headers(headers, saved),
            )
    except ImportProblem as exc:
        # Another sheet may read well (the first one is often notes).
        fail_plan(job, exc.message, sheet_names=_sheet_names(job))
        raise
    except Exception:
        fail_plan(job, "The preview failed unexpectedly; nothing was changed. Try again.")
        raise
    try:
        snapshot = selectors.load_snapshot()
        header_errors = [e.as_dict() for e in parsed.errors]
        fatal = any(e.column == "Email" and "no Email column" in e.message for e in parsed.errors)
        options = PlanOptions(
            source=job.source,
            attributes=parsed.attributes,
            complete_list=job.is_complete_list and not fatal,
            actor_id=by.pk if isinstance(by, Person) else None,
            labels=parsed.column_names(),
            deactivation_share=setting("ROSTER_IMPORT_DEACTIVATION_PERCENT", 10) / 100,
            deactivation_max=setting("ROSTER_IMPORT_DEACTIVATION_MAX", 50),
        )
        plan = compute_plan([] if fatal else parsed.records, snapshot, options)
        group_changes = plan_import_groups(plan, parsed, remove_unlisted=job.remove_from_groups)
        del parsed.records
        counts = plan.counts
        with transaction.atomic():
            # A preview failed meanwhile (it took too long) stays failed.
            if not (
                ImportJob.objects.select_for_update()
                .filter(pk=job.pk, status=ImportJob.Status.PLANNING)
                .exists()
            ):
                job.refresh_from_db()
                return plan
            _store_plan(job, plan)
            job.headers = parsed.headers
            job.columns = [c.as_dict() for c in parsed.columns]
            job.file_errors = header_errors
            job.file_notes = parsed.notes
            job.group_changes = group_changes
            if parsed.found_mapping and saved:
                job.column_mapping = parsed.found_mapping
                job.file_notes.append(describe_saved(saved[0]))
            job.file_format = parsed.file_format
            job.sheet_names = parsed.sheet_names
            job.total_rows = parsed.total_rows
            job.processed_rows = 0
            job.count_new = counts["new"]
            job.count_updated = counts["updated"]
            job.count_unchanged = counts["unchanged"]
            job.count_deactivated = counts["deactivated"]
            job.count_reactivated = counts["reactivated"]
            job.count_errors = counts["errors"] + len(header_errors)
            job.count_skipped = counts["skipped"]
            job.count_absent = sum(
                1 for r in plan.rows if r.action == Action.DEACTIVATE and r.row is None
            )
            job.deactivation_threshold = plan.deactivation_threshold
            job.status = ImportJob.Status.READY
            job.planned_at = timezone.now()
            job.save()
    except Exception:
        fail_plan(job, "The preview failed unexpectedly; nothing was changed. Try again.")
        raise
    finally:
        cache.delete(key)
    return plan


def _choice_updates(
    job: ImportJob, *, mapping: dict[str, str | None] | None, sheet: str | None
) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    if sheet is not None:
        updates["sheet"] = sheet
        if sheet != job.sheet and mapping is None:
            mapping = {}
    if mapping is not None:
        updates["column_mapping"] = mapping
    return updates


def _sheet_names(job: ImportJob) -> list[str]:
    try:
        with job.file.open("rb") as stream:
            return spreadsheet.read_sheet_names(
                stream, filename=job.original_filename, limits=limits()
            )
    except (ImportProblem, OSError):
        return []


@transaction.atomic
def _store_plan(job: ImportJob, plan: Plan) -> None:
    ImportChunk.objects.filter(job=job).delete()
    grouped: dict[str, list[PlanRow]] = {action: [] for action in Action.ALL}
    for row in plan.rows:
        grouped[row.action].append(row)
    size = ImportChunk.CHUNK_SIZE
    # A generator, so only one chunk's entries exist as dicts at a time.
    chunks = (
        {
            "job_id": job.pk,
            "action": action,
            "index": i // size,
            "size": len(rows[i : i + size]),
            "entries": [row.as_dict() for row in rows[i : i + size]],
        }
        for action, rows in grouped.items()
        for i in range(0, len(rows), size)
    )
    insert_rows(ImportChunk, chunks, with_pk=False)
