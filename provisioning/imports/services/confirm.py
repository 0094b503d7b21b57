"""Confirming an import: what blocks it, the roles it needs, and the
confirmation that enqueues the apply."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.invitations.start_dates import MAX_DAYS_BEFORE
from accounts.jobs import task
from accounts.models import Person
from accounts.services import Actorish, require
from provisioning.exceptions import ConfirmationRequired, ImportNotReady
from provisioning.imports.models import ImportJob


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
    invite_days_before: int = 0,
) -> ImportJob:
    """Accept the preview and enqueue the apply on commit (unless ``enqueue`` is
    False: the command line applies in its own process).

    Deactivating more people than the threshold needs ``confirm_text`` equal
    to ``DEACTIVATE <n>`` (or the number itself). ``skip_invalid`` (when
    given) replaces the choice made at upload. ``invite_mode`` invites the
    people the import adds once it is applied: now, at ``invite_at``, or at
    09:00 on each person's start date (``invite_days_before`` days earlier).
    Raises ImportNotReady, ConfirmationRequired or NotAllowed; changes
    nothing when it raises.
    """
    apply_import_task = task("provisioning.imports.tasks.apply_import_task")

    check_apply_allowed(job, by)
    _check_invitations(by, invite_mode, invite_at, invite_days_before)
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
            invite_days_before=(
                invite_days_before if invite_mode == ImportJob.InviteMode.START else 0
            ),
            invite_note="",
        )
        if updated and enqueue:
            transaction.on_commit(partial(apply_import_task.delay, job.pk))
    job.refresh_from_db()
    return job


def _check_invitations(
    by: Actorish, invite_mode: str, invite_at: datetime | None, days_before: int
) -> None:
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
    if invite_mode == ImportJob.InviteMode.START and not 0 <= days_before <= MAX_DAYS_BEFORE:
        raise ImportNotReady(
            f"Choose between 0 and {MAX_DAYS_BEFORE} days before each person's start date."
        )


def check_apply_allowed(job: ImportJob, by: Actorish) -> None:
    """Raise NotAllowed unless ``by`` may make every kind of change ``job`` plans."""
    require(by, "provisioning.add_importjob")
    if job.is_complete_list:
        require(by, "provisioning.import_complete_list")
    if job.count_new:
        require(by, "accounts.add_person")
    if job.count_updated:
        require(by, "accounts.change_person")
    if job.count_deactivated or job.count_reactivated:
        require(by, "accounts.deactivate_person")
    if any(g["joining"] or g["leaving"] for g in job.group_changes):
        require(by, "accounts.change_group")
    if any(g["new"] and g["joining"] for g in job.group_changes):
        require(by, "accounts.add_group")
