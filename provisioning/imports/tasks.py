"""Celery tasks of spreadsheet imports: thin wrappers that re-read ids and call one service."""

from __future__ import annotations

from celery import shared_task

from provisioning.imports import services as import_services


@shared_task(name="provisioning.apply_import", acks_late=True)
def apply_import_task(import_id: int) -> str:
    """Apply a confirmed import; a redelivered or repeated task does nothing more."""
    job = import_services.apply_import(import_id)
    return job.status


@shared_task(name="provisioning.plan_import", acks_late=True)
def plan_import_task(import_id: int) -> str:
    """Prepare an import's preview; a job no longer "planning" is skipped."""
    job = import_services.plan_queued_import(import_id)
    return "skipped" if job is None else job.status


@shared_task(name="provisioning.purge_imports")
def purge_imports_task() -> int:
    """Delete uploaded files and unapplied previews past the retention period,
    and fail previews that have been prepared for too long."""
    return import_services.purge_imports()
