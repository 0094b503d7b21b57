"""Spreadsheet imports: upload, preview (plan), confirm, apply, reports, export.

The flow an interface follows::

    job = start_import(upload, by=person, filename="people.xlsx", ...)
    plan_import(job, by=person)                 # parse + plan + store the preview
    confirm_import(job, by=person, confirm_text=...)   # enqueues the apply on commit
    apply_import(job.pk)                        # the Celery task's body

Applying is set-based (``apply_plan``): bulk inserts and updates of people and
bulk audit rows in one transaction, so an import is all or nothing. Progress
goes to the cache (the transaction hides it from other connections) and the
final figures to the job row once committed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial
from operator import attrgetter
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.core.files.base import File
from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.actors import Actor
from accounts.db import BULK_ROWS, refresh_statistics
from accounts.exceptions import DomainError
from accounts.invitations.invites import revoke_open_invitations_of
from accounts.jobs import task
from accounts.models import LifecycleEvent, Person
from accounts.phones import display_phone
from accounts.roles import Role
from accounts.services import (
    deactivated_values,
    lock_manager_graph,
    notify_email_changes,
    publish,
    reactivated_values,
    record_events_bulk,
    require,
    revoke_api_tokens_of,
)
from provisioning.exceptions import (
    ConfirmationRequired,
    FileTooLarge,
    ImportNotReady,
    ImportProblem,
    StalePlan,
)
from provisioning.imports import reader as spreadsheet
from provisioning.imports import selectors
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.reconcile import Action, Plan, PlanOptions, PlanRow, compute_plan

logger = logging.getLogger(__name__)

Actorish = Person | Actor
BATCH = 1000
# Rows per COPY on PostgreSQL (progress is reported between them).
BULK = 10_000
_WRITE_ACTIONS = (Action.NEW, Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def limits() -> spreadsheet.Limits:
    """Return the configured file limits."""
    return spreadsheet.Limits(
        max_bytes=_setting("ROSTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        max_rows=_setting("ROSTER_IMPORT_MAX_ROWS", 200_000),
        max_cells=_setting("ROSTER_IMPORT_MAX_CELLS", 5_000_000),
    )


# --- upload and preview -----------------------------------------------------


def start_import(
    upload: IO[bytes] | bytes,
    *,
    by: Actorish,
    filename: str,
    complete_list: bool = False,
    skip_invalid: bool = False,
    sheet: str = "",
    mapping: dict[str, str | None] | None = None,
    queue_plan: bool = False,
) -> ImportJob:
    """Store an uploaded file as a new import waiting for its preview.

    The file is kept under MEDIA_ROOT/imports/ with a random name until it is
    applied or the retention period ends. With ``queue_plan`` the job starts
    "planning" and ``plan_import_task`` is enqueued on commit: the file is
    not read here. Raises NotAllowed (role; a complete list is for System
    administrators only) or FileTooLarge before storing.
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


def plan_import(
    job: ImportJob,
    *,
    by: Actorish,
    mapping: dict[str, str | None] | None = None,
    sheet: str | None = None,
    skip_invalid: bool | None = None,
) -> Plan:
    """Read the job's file, plan every change, and store the preview on the job.

    ``mapping`` ({header: attribute or None}) tells what a column holds (None
    ignores it); columns holding no attribute are simply not imported.
    ``sheet`` names the workbook's sheet to read; choosing another sheet than
    before forgets the column choices (unless ``mapping`` is given), as they
    named the other sheet's columns. Writes no person.
    Raises UnreadableFile/FileTooLarge (recorded on the job, which becomes
    failed), ImportNotReady, NotAllowed.
    """
    require(by, "provisioning.add_importjob")
    if job.is_complete_list:
        require(by, "provisioning.import_complete_list")
    updates = _choice_updates(job, mapping=mapping, sheet=sheet)
    if skip_invalid is not None:
        updates["skip_invalid"] = skip_invalid
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
        _fail_plan(job, "The person who uploaded this file is no longer in Roster.")
        return job
    try:
        require(uploader, "provisioning.add_importjob")
        if job.is_complete_list:
            require(uploader, "provisioning.import_complete_list")
    except DomainError as exc:
        _fail_plan(job, exc.message)
        return job
    # Recorded on the job for the person who uploaded the file.
    with contextlib.suppress(ImportProblem):
        _make_plan(job, by=uploader)
    job.refresh_from_db()
    return job


def _fail_plan(job: ImportJob, message: str, **fields: Any) -> None:
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

    try:
        with job.file.open("rb") as stream:
            parsed = spreadsheet.read_spreadsheet(
                stream,
                filename=job.original_filename,
                sheet=job.sheet or None,
                mapping=job.column_mapping,
                limits=limits(),
                on_row=rows_read,
            )
    except ImportProblem as exc:
        # Another sheet may read well (the first one is often notes).
        _fail_plan(job, exc.message, sheet_names=_sheet_names(job))
        raise
    except Exception:
        _fail_plan(job, "The preview failed unexpectedly; nothing was changed. Try again.")
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
            deactivation_share=_setting("ROSTER_IMPORT_DEACTIVATION_PERCENT", 10) / 100,
            deactivation_max=_setting("ROSTER_IMPORT_DEACTIVATION_MAX", 50),
        )
        plan = compute_plan([] if fatal else parsed.records, snapshot, options)
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
        _fail_plan(job, "The preview failed unexpectedly; nothing was changed. Try again.")
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


def blocking_problems(job: ImportJob) -> list[str]:
    """Return why the job cannot be applied as it stands (empty when it can)."""
    problems = []
    if job.status not in (ImportJob.Status.READY, ImportJob.Status.FAILED) or not job.planned_at:
        problems.append(f"This import is {job.get_status_display().lower()}, not ready to apply.")
        return problems
    if job.file_errors:
        problems.append(
            "Fix the problems with the file's columns first (or choose what those "
            "columns hold, or to ignore them)."
        )
    row_errors = job.count_errors - len(job.file_errors)
    if row_errors and not job.skip_invalid:
        problems.append(
            f"{row_errors:,} row{'s have' if row_errors != 1 else ' has'} errors. Correct "
            "the file, or choose to import the valid rows and skip the invalid ones."
        )
    return problems


def confirm_import(
    job: ImportJob,
    *,
    by: Actorish,
    confirm_text: str = "",
    enqueue: bool = True,
    skip_invalid: bool | None = None,
    invite_mode: str = ImportJob.InviteMode.NONE,
    invite_at: datetime | None = None,
) -> ImportJob:
    """Accept the preview and enqueue the apply on commit (unless ``enqueue`` is
    False: the command line applies in its own process).

    Deactivating more people than the threshold needs ``confirm_text`` equal
    to ``DEACTIVATE <n>`` (or the number itself). ``skip_invalid`` (when
    given) replaces the choice made at upload. ``invite_mode`` invites the
    people the import adds once it is applied: now, or at ``invite_at``.
    Raises ImportNotReady, ConfirmationRequired or NotAllowed; changes
    nothing when it raises.
    """
    apply_import_task = task("provisioning.imports.tasks.apply_import_task")

    _check_apply_allowed(job, by)
    _check_invitations(by, invite_mode, invite_at)
    chosen_skip = job.skip_invalid if skip_invalid is None else skip_invalid
    stored_skip, job.skip_invalid = job.skip_invalid, chosen_skip
    problems = blocking_problems(job)
    job.skip_invalid = stored_skip
    if problems:
        raise ImportNotReady(" ".join(problems))
    if job.needs_confirmation:
        typed = (confirm_text or "").strip().upper()
        if typed not in (job.confirmation_phrase, str(job.count_absent)):
            raise ConfirmationRequired(
                f"This import deactivates {job.count_absent:,} people missing from the file, "
                f"more than {job.deactivation_threshold:,}. Type “{job.confirmation_phrase}” "
                "to confirm."
            )
    with transaction.atomic():
        updated = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportJob.Status.READY, ImportJob.Status.FAILED]
        ).update(
            confirmed_at=timezone.now(),
            applied_by=by if isinstance(by, Person) else None,
            skip_invalid=chosen_skip,
            invite_mode=invite_mode,
            invite_at=invite_at if invite_mode == ImportJob.InviteMode.AT else None,
            invite_note="",
        )
        if updated and enqueue:
            transaction.on_commit(partial(apply_import_task.delay, job.pk))
    job.refresh_from_db()
    return job


def _check_invitations(by: Actorish, invite_mode: str, invite_at: datetime | None) -> None:
    if invite_mode not in ImportJob.InviteMode.values:
        raise ImportNotReady("Choose when to send invitations to the new people.")
    if invite_mode == ImportJob.InviteMode.NONE:
        return
    require(by, "accounts.add_invitation")
    if invite_mode == ImportJob.InviteMode.AT:
        if invite_at is None or timezone.is_naive(invite_at):
            raise ImportNotReady("Choose the date and time to send the invitations.")
        if invite_at <= timezone.now():
            raise ImportNotReady("The time to send the invitations is in the past.")


def _check_apply_allowed(job: ImportJob, by: Actorish) -> None:
    require(by, "provisioning.add_importjob")
    if job.is_complete_list:
        require(by, "provisioning.import_complete_list")
    if job.count_new:
        require(by, "accounts.add_person")
    if job.count_updated:
        require(by, "accounts.change_person")
    if job.count_deactivated or job.count_reactivated:
        require(by, "accounts.deactivate_person")


# --- apply ------------------------------------------------------------------


def apply_import(job_id: int, *, by: Actorish | None = None) -> ImportJob:
    """Apply a confirmed import once; a second call (or a redelivered task) does nothing.

    ``by`` defaults to the person who confirmed the import.

    Claims the job with a conditional update, applies in one transaction,
    records the outcome. A job left "applying" by a worker that died is taken
    over (its transaction was rolled back, so nothing was written). Failures
    are recorded on the job (status failed) and can be retried.
    """
    now = timezone.now()
    claimable = ImportJob.objects.filter(
        pk=job_id,
        status__in=[ImportJob.Status.READY, ImportJob.Status.FAILED],
        confirmed_at__isnull=False,
        planned_at__isnull=False,
    )
    claimed = claimable.update(
        status=ImportJob.Status.APPLYING,
        started_at=now,
        finished_at=None,
        error_message="",
        processed_rows=0,
    )
    if not claimed and not _take_over_abandoned(job_id):
        return ImportJob.objects.get(pk=job_id)
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportJob.Status.APPLYING:
                return job
            by = by or job.applied_by
            if by is None:
                raise ImportNotReady("The person who confirmed this import no longer exists.")
            counts = apply_plan(job, by=by)
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            job.processed_rows = sum(counts.values())
            job.save(update_fields=["status", "finished_at", "processed_rows"])
            transaction.on_commit(partial(_after_apply, job.pk))
        if job.invite_mode != ImportJob.InviteMode.NONE:
            _invite_new_people(job)
        return job
    except DomainError as exc:
        _fail(job_id, exc.message)
        return ImportJob.objects.get(pk=job_id)
    except IntegrityError as exc:
        _fail(job_id, _explain_integrity(exc))
        return ImportJob.objects.get(pk=job_id)
    except Exception:
        _fail(job_id, "The import failed unexpectedly; nothing was changed. Try again.")
        raise


def _invite_new_people(job: ImportJob) -> None:
    """Invite the people ``job`` added, as chosen when confirming. The outcome
    goes to ``job.invite_note``; a refusal never undoes the import."""
    from accounts.invitations import invite_people

    emails = [e["email"].lower() for e in selectors.iter_import_rows(job, [Action.NEW])]
    ids: list[int] = []
    for start in range(0, len(emails), 10_000):
        ids.extend(
            Person.objects.annotate(lower_email=Lower("email"))
            .filter(lower_email__in=emails[start : start + 10_000], status=Person.Status.STAGED)
            .values_list("pk", flat=True)
        )
    now = timezone.now()
    send_at = job.invite_at if job.invite_at and job.invite_at > now else None
    if not ids or job.applied_by is None:
        note = "Nobody new to invite."
    else:
        try:
            result = invite_people(ids, by=job.applied_by, send_at=send_at)
        except DomainError as exc:
            note = f"No invitations were sent: {exc.message}"
        else:
            count = result.invited + result.resent
            people = "person" if count == 1 else "people"
            note = (
                f"Invited {count:,} {people}; the emails go out at "
                f"{timezone.localtime(send_at):%Y-%m-%d %H:%M %Z}."
                if send_at
                else f"Invited {count:,} {people}; the emails are on their way."
            )
    ImportJob.objects.filter(pk=job.pk).update(invite_note=note[:300])
    job.invite_note = note[:300]


def _take_over_abandoned(job_id: int) -> bool:
    # The applying transaction holds the job's row lock; if nobody holds it,
    # the worker that claimed the job died and rolled back.
    with transaction.atomic():
        return (
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, status=ImportJob.Status.APPLYING)
            .exists()
        )


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.APPLYING).update(
        status=ImportJob.Status.FAILED, error_message=message, finished_at=timezone.now()
    )
    cache.delete(selectors.progress_key(job_id))


def _explain_integrity(exc: IntegrityError) -> str:
    text = str(exc)
    if "email" in text:
        return (
            "Someone added a person with one of these emails after the preview was made; "
            "nothing was changed. Make a new preview."
        )
    if "external_id" in text:
        return (
            "Someone gave one of these employee IDs to another person after the preview "
            "was made; nothing was changed. Make a new preview."
        )
    return "People changed in Roster after the preview was made; nothing was changed. " + (
        "Make a new preview."
    )


def _after_apply(job_id: int) -> None:
    cache.delete(selectors.progress_key(job_id))
    job = ImportJob.objects.get(pk=job_id)
    _delete_file(job)


def _delete_file(job: ImportJob) -> None:
    if job.file:
        job.file.delete(save=False)
    ImportJob.objects.filter(pk=job.pk).update(file="", file_deleted_at=timezone.now())


def import_actor(job: ImportJob, by: Actorish) -> Actor:
    """Return the audit actor of an import: kind "import", naming who ran it."""
    if isinstance(by, Actor):
        return Actor(
            kind=LifecycleEvent.ActorKind.IMPORT,
            label=f"Spreadsheet import #{job.pk} by {by.label}",
            role=by.role,
        )
    return Actor(
        kind=LifecycleEvent.ActorKind.IMPORT,
        label=f"Spreadsheet import #{job.pk} by {by.display_name} <{by.email}>",
        role=by.role if by.is_active else Role.NONE,
    )


class _Progress:
    def __init__(self, job: ImportJob, total: int) -> None:
        self.key = selectors.progress_key(job.pk)
        self.total = total
        self.done = 0
        cache.set(self.key, {"processed": 0, "total": total}, 86_400)

    def add(self, n: int) -> None:
        self.done += n
        cache.set(self.key, {"processed": self.done, "total": self.total}, 86_400)


_PERSON_FIELDS = (
    "id",
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager_id",
    "job_title",
    "department",
    "phone_number",
    "location",
    "status",
    "is_active",
    "claimed_at",
    "deactivated_at",
    "security_stamp",
    "version",
)


@transaction.atomic
def apply_plan(job: ImportJob, *, by: Actorish, actor: Actor | None = None) -> dict[str, int]:
    """Write the job's stored plan: bulk creates, updates, (re)activations, audit rows.

    ``actor`` names the change in the audit log (default: the spreadsheet
    import run by ``by``; identity-provider syncs name their source).
    Runs in one transaction (the caller's, if any). Each changed person's
    ``version`` goes up by one and ``person_changed`` is published per action
    after commit. Raises StalePlan when someone changed a planned person since
    the preview, NotAllowed for the wrong role; the database constraints
    (unique email and external ID, no self-manager) back the plan's checks.
    """
    _check_apply_allowed(job, by)
    actor = actor or import_actor(job, by)
    now = timezone.now()
    entries: dict[str, list[dict[str, Any]]] = {a: [] for a in _WRITE_ACTIONS}
    for entry in selectors.iter_import_rows(job, _WRITE_ACTIONS):
        entries[entry["action"]].append(entry)
    progress = _Progress(job, sum(len(v) for v in entries.values()))
    lock_manager_graph()

    existing_entries = [
        e for a in (Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE) for e in entries[a]
    ]
    people = _lock_people([e["person_id"] for e in existing_entries])
    stale = [
        e
        for e in existing_entries
        if e["person_id"] not in people or people[e["person_id"]].version != e["version"]
    ]
    if stale:
        raise StalePlan(
            f"{len(stale):,} of the people in this import changed in Roster after the "
            f"preview was made (for example {stale[0]['email']}). Nothing was changed; "
            "make a new preview."
        )

    row_ids: dict[int, int] = {e["row"]: e["person_id"] for e in existing_entries if e["row"]}
    new_entries = entries[Action.NEW]
    postgres = connection.vendor == "postgresql"
    if postgres and new_entries:
        # Ids known up front let a new person's manager be someone created in
        # the same insert (foreign keys are checked at commit).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Person._meta.db_table, len(new_entries)],
            )
            for entry, (pk,) in zip(new_entries, cursor.fetchall(), strict=True):
                row_ids[entry["row"]] = pk

    def manager_id(entry: dict[str, Any]) -> int | None:
        ref = entry.get("manager")
        if ref is None:
            return None
        return ref[1] if ref[0] == "id" else row_ids[ref[1]]

    # New people, as column values (model instances cost more than the insert),
    # written with their audit rows one batch at a time to bound memory.
    audit = partial(
        record_events_bulk,
        by=actor,
        actor=by if isinstance(by, Person) else None,
        writer=partial(insert_rows, LifecycleEvent, with_pk=False),
    )
    created_ids: list[int] = []
    deferred_managers: list[tuple[int, dict[str, Any]]] = []
    for start in range(0, len(new_entries), BULK):
        batch = new_entries[start : start + BULK]
        rows = []
        for entry in batch:
            values = {name: new for name, (_, new) in entry.get("changes", {}).items()}
            status = values.pop("status", None) or Person.Status.STAGED
            values.pop("manager", None)
            values.update(
                source=job.source,
                status=status,
                is_active=False,
                deactivated_at=now if status == Person.Status.DEACTIVATED else None,
                created_at=now,
                updated_at=now,
                # What set_unusable_password() stores, without its slow per-character RNG.
                password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20),
            )
            if postgres:
                values["id"] = row_ids[entry["row"]]
                if "manager" in entry.get("changes", {}):
                    values["manager_id"] = manager_id(entry)
            rows.append(values)
        insert_rows(Person, rows, with_pk=postgres)
        audit(_created_events(rows, batch))
        for values, entry in zip(rows, batch, strict=True):
            created_ids.append(values["id"])
            if not postgres:
                row_ids[entry["row"]] = values["id"]
                if "manager" in entry.get("changes", {}):
                    deferred_managers.append((values["id"], entry))
        progress.add(len(rows))
        del rows
    if deferred_managers:
        Person.objects.bulk_update(
            [Person(id=pk, manager_id=manager_id(entry)) for pk, entry in deferred_managers],
            ["manager_id"],
            batch_size=BATCH,
        )

    # Existing people.
    changed: list[Person] = []
    fields: set[str] = set()
    email_changes: list[tuple[int, str, str]] = []
    for entry in existing_entries:
        person = people[entry["person_id"]]
        for name, (_, new) in entry.get("changes", {}).items():
            if name == "status":
                continue
            if name == "email":
                email_changes.append((person.pk, person.email, new))
            if name == "manager":
                person.manager_id = manager_id(entry)
                fields.add("manager_id")
            else:
                setattr(person, name, new)
                fields.add(name)
        if entry["action"] == Action.DEACTIVATE:
            values = deactivated_values(now=now)
        elif entry["action"] == Action.REACTIVATE:
            values = reactivated_values(has_claimed=person.claimed_at is not None)
        else:
            values = {}
        for name, value in values.items():
            setattr(person, name, value)
            fields.add(name)
        person.version += 1
        person.updated_at = now
        changed.append(person)
    if changed:
        update_fields = sorted(fields | {"version", "updated_at"})
        for start in range(0, len(changed), BULK):
            update_rows(Person, changed[start : start + BULK], update_fields)
            progress.add(len(changed[start : start + BULK]))

    # Deactivation revokes open invitations, as accounts' own service does.
    deactivated_ids = [e["person_id"] for e in entries[Action.DEACTIVATE]]
    revoke_open_invitations_of(deactivated_ids, reason="The person was deactivated.")
    revoke_api_tokens_of(deactivated_ids, now=now)
    notify_email_changes(email_changes)

    # Audit rows and the after-commit event.
    audit(_changed_events(entries, people))
    publish(created_ids, LifecycleEvent.Action.CREATED)
    for action, event_action in (
        (Action.UPDATE, LifecycleEvent.Action.UPDATED),
        (Action.DEACTIVATE, LifecycleEvent.Action.DEACTIVATED),
        (Action.REACTIVATE, LifecycleEvent.Action.REACTIVATED),
    ):
        publish([e["person_id"] for e in entries[action]], event_action)
    counts = {action: len(items) for action, items in entries.items()}
    if sum(counts.values()) >= BULK_ROWS:
        transaction.on_commit(partial(refresh_statistics, Person, LifecycleEvent))
    return counts


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, with_pk: bool
) -> None:
    """Insert ``rows`` ({attname: value}; other columns get their defaults) in the
    current transaction.

    PostgreSQL gets one COPY (several times faster than INSERT for imports of
    this size); other databases get bulk_create, and each row gets its new
    "id". ``with_pk`` sends the ids the rows hold (allocated from the sequence).
    """
    if connection.vendor != "postgresql":
        rows = list(rows)
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        for row, obj in zip(rows, objs, strict=True):
            row["id"] = obj.pk
        return
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    now = timezone.now()
    makers: list[Any] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        elif f.has_default() and callable(f.default):
            default = f.default
        else:
            default = f.get_default()
        prepare = isinstance(f, models.JSONField) or getattr(f, "prepare_for_copy", False)
        makers.append((f.attname, default, prepare and f))
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            values = []
            for attname, default, json_field in makers:
                if attname in row:
                    value = row[attname]
                else:
                    value = default() if callable(default) else default
                if json_field:
                    value = json_field.get_db_prep_save(value, connection)
                values.append(value)
            write(values)


def update_rows(model: type[models.Model], objs: list[Any], field_names: list[str]) -> None:
    """Write ``field_names`` of saved ``objs`` (UPDATE … FROM a COPY-filled temporary
    table on PostgreSQL; bulk_update elsewhere)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, field_names, batch_size=BATCH)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    fields = [pk, *(model._meta.get_field(name) for name in field_names)]
    table = quote(model._meta.db_table)
    scratch = quote(f"scratch_{model._meta.db_table}")
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
    _copy(f"scratch_{model._meta.db_table}", fields, objs)
    assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in fields[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS s "
            f"WHERE t.{quote(pk.column)} = s.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {scratch}")


def _copy(table: str, fields: list[Any], objs: list[Any]) -> None:
    quote = connection.ops.quote_name
    getters: list[Any] = []
    for f in fields:
        if isinstance(f, models.JSONField) or getattr(f, "auto_now_add", False):
            getters.append(partial(_prepared, f))
        else:
            getters.append(attrgetter(f.attname))
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for obj in objs:
            write([get(obj) for get in getters])


def _prepared(field: Any, obj: Any) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _lock_people(ids: list[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    for start in range(0, len(ids), 10_000):
        batch = ids[start : start + 10_000]
        for person in Person.objects.select_for_update().filter(pk__in=batch).only(*_PERSON_FIELDS):
            people[person.pk] = person
    return people


def _created_events(
    rows: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> Iterable[tuple[int, str, str, dict[str, Any]]]:
    for values, entry in zip(rows, entries, strict=True):
        changes = dict(entry.get("changes", {}))
        status = changes.pop("status", None)
        # Person.display_name, from the values written.
        name = (
            values.get("full_name")
            or f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
            or values["email"]
        )
        yield values["id"], LifecycleEvent.Action.CREATED, name, changes
        if status:
            yield (
                values["id"],
                LifecycleEvent.Action.DEACTIVATED,
                name,
                {"status": [Person.Status.STAGED.value, Person.Status.DEACTIVATED.value]},
            )


def _changed_events(
    entries: dict[str, list[dict[str, Any]]], people: dict[int, Person]
) -> Iterable[tuple[int, str, str, dict[str, Any]]]:
    for action, event_action in (
        (Action.UPDATE, None),
        (Action.DEACTIVATE, LifecycleEvent.Action.DEACTIVATED),
        (Action.REACTIVATE, LifecycleEvent.Action.REACTIVATED),
    ):
        for entry in entries[action]:
            person = people[entry["person_id"]]
            changes = dict(entry.get("changes", {}))
            status = changes.pop("status", None)
            if changes:
                yield person.pk, LifecycleEvent.Action.UPDATED, str(person), changes
            if event_action and status:
                yield person.pk, event_action, str(person), {"status": status}


# --- housekeeping -----------------------------------------------------------


# Longer than the plan task may run (its hard time limit is 11 minutes), so
# a preview still "planning" after this lost its worker or never got one.
PLAN_STALL_MINUTES = 30


def purge_imports(*, now: Any = None) -> int:
    """Delete uploaded files past the retention period (whatever the import's
    state), expire unapplied previews, and fail previews still being prepared
    PLAN_STALL_MINUTES after they were asked for, saying why.

    Idempotent. Returns how many imports were touched.
    """
    now = now or timezone.now()
    touched = 0
    stalled = selectors.list_stalled_import_plans(
        started_before=now - timedelta(minutes=PLAN_STALL_MINUTES)
    )
    for job in stalled:
        _fail_plan(
            job,
            f"The preview was not ready after {PLAN_STALL_MINUTES} minutes (the worker "
            "preparing it stopped, or none is running), so Roster gave up; nothing was "
            "changed. Prepare the preview again, or upload the file again.",
        )
        touched += 1
    for job in selectors.list_imports_to_purge(now=now):
        if job.file:
            _delete_file(job)
        # An import being applied needs its stored plan, not its file.
        if job.status not in (ImportJob.Status.DONE, ImportJob.Status.APPLYING):
            ImportChunk.objects.filter(job=job).delete()
            ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.APPLYING).update(
                status=ImportJob.Status.FAILED,
                error_message="This preview expired. Upload the file again.",
                planned_at=None,
            )
        touched += 1
    return touched


def open_import_file(job: ImportJob, *, by: Actorish) -> IO[bytes]:
    """Open the uploaded file for someone allowed to import (it holds every
    column as uploaded). Raises NotAllowed, ImportNotReady when the file was
    already deleted."""
    require(by, "provisioning.add_importjob")
    if not job.file:
        raise ImportNotReady("The uploaded file was deleted after the import.")
    return job.file.open("rb")


# --- spreadsheets out -------------------------------------------------------


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
    return list(spreadsheet.TEMPLATE_HEADERS.values())


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
            statuses.get(status, status),
        ]


def _write(file_format: str, headers: list[str], rows: Iterable[Any], *, title: str) -> bytes:
    if file_format == "csv":
        return spreadsheet.write_csv(headers, rows)
    if file_format == "xlsx":
        return spreadsheet.write_xlsx(headers, rows, title=title)
    raise ImportProblem(f"“{file_format}” is not a format Roster writes; use csv or xlsx.")


__all__ = [
    "apply_import",
    "apply_plan",
    "blocking_problems",
    "build_error_report",
    "build_template",
    "confirm_import",
    "export_people",
    "open_import_file",
    "plan_import",
    "purge_imports",
    "queue_import_plan",
    "start_import",
    "stream_people_csv",
]
