"""Housekeeping of imports: delete old files, expire unapplied previews, and
fail previews whose worker never finished (the beat task ``purge_imports_task``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from provisioning.imports import selectors
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.imports.services.preview import fail_plan
from provisioning.imports.services.upload import delete_file

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
        fail_plan(
            job,
            f"The preview was not ready after {PLAN_STALL_MINUTES} minutes (the worker "
            "preparing it stopped, or none is running), so Roster gave up; nothing was "
            "changed. Prepare the preview again, or upload the file again.",
        )
        touched += 1
    for job in selectors.list_imports_to_purge(now=now):
        if job.file:
            delete_file(job)
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
