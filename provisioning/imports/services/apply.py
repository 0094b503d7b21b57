"""Applying a confirmed import once: claim the job, write its plan in one
transaction, record the outcome, then invite the new people if asked.

The writes themselves are ``writes.apply_plan``.
"""

from __future__ import annotations

from functools import partial

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.services import Actorish
from provisioning.exceptions import ImportNotReady
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.imports.services.groups import apply_import_groups
from provisioning.imports.services.upload import delete_file
from provisioning.imports.services.writes import apply_plan
from provisioning.reconcile import Action


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
            created: dict[int, int] = {}
            counts = apply_plan(
                job, by=by, on_created=lambda entry, pk: created.__setitem__(entry["row"], pk)
            )
            # In the same transaction: a refused membership undoes the people too.
            apply_import_groups(job, by=by, created=created)
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
    from accounts.invitations import invite_on_start_dates, invite_people

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
            if job.invite_mode == ImportJob.InviteMode.START:
                result = invite_on_start_dates(
                    ids, by=job.applied_by, days_before=job.invite_days_before
                )
            else:
                result = invite_people(ids, by=job.applied_by, send_at=send_at)
        except DomainError as exc:
            note = f"No invitations were sent: {exc.message}"
        else:
            count = result.invited + result.resent
            people = "person" if count == 1 else "people"
            if job.invite_mode == ImportJob.InviteMode.START:
                before = (
                    f"{job.invite_days_before} day{'s' if job.invite_days_before != 1 else ''} "
                    "before their start date"
                    if job.invite_days_before
                    else "on their start date"
                )
                missing = len(result.skipped)
                note = f"Invited {count:,} {people}; each email goes out at 09:00 {before}." + (
                    f" {missing:,} without a start date were not invited." if missing else ""
                )
            else:
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
    delete_file(job)
