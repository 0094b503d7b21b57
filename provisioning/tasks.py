"""Celery tasks of provisioning: thin wrappers that re-read ids and call one service."""

from __future__ import annotations

import contextlib

from celery import shared_task

from provisioning import services as import_services
from provisioning.models import ImportJob


@shared_task(name="provisioning.apply_import", acks_late=True)
def apply_import_task(import_id: int) -> str:
    """Apply a confirmed import; a redelivered or repeated task does nothing more."""
    job = import_services.apply_import(import_id)
    return job.status


@shared_task(name="provisioning.plan_import", acks_late=True)
def plan_import_task(import_id: int) -> str:
    """Prepare an import's preview in the background (large workbooks)."""
    job = ImportJob.objects.select_related("created_by").filter(pk=import_id).first()
    if job is None or job.created_by is None or job.status != ImportJob.Status.QUEUED:
        return "skipped"
    # A file Roster cannot read is recorded on the job for the person who uploaded it.
    with contextlib.suppress(import_services.ImportProblem):
        import_services.plan_import(job, by=job.created_by)
    job.refresh_from_db(fields=["status"])
    return job.status


@shared_task(name="provisioning.purge_imports")
def purge_imports_task() -> int:
    """Delete uploaded files and unapplied previews past the retention period."""
    return import_services.purge_imports()


from provisioning.scim.tasks import *  # noqa: E402,F403
from provisioning.sources.idp_tasks import sync_source_task  # noqa: E402,F401
