"""Celery tasks of SCIM provisioning: thin wrappers around the push services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from provisioning.scim import services
from provisioning.scim.client import ScimError
from provisioning.scim.groups_push import push_groups


@shared_task(name="provisioning.scim.push_target", ignore_result=True)
def push_target_task(target_id: int, run_id: int | None = None) -> None:
    """Push a target's pending links, then its groups (whose members must exist
    first); re-enqueue itself when asked to come back later."""
    outcome = services.push_pending(target_id, run_id=run_id)
    if outcome.retry_in is None:
        push_groups(target_id)
        return
    # Many change events during an outage must not turn into as many delayed
    # retries: one per target and wait is enough (the sweep is the backstop).
    if outcome.retry_in > 0 and not cache.add(
        f"scim:retry:{target_id}", 1, timeout=max(1, int(outcome.retry_in))
    ):
        return
    push_target_task.apply_async((target_id, run_id), countdown=outcome.retry_in)


@shared_task(name="provisioning.scim.sync_target", ignore_result=True)
def sync_target_task(target_id: int, run_id: int) -> None:
    """Match remote users, then push everyone in scope with several workers at once."""
    try:
        services.sync_target(target_id, run_id=run_id)
    except ScimError:
        push_target_task.apply_async((target_id, run_id), countdown=30)
        return
    for _ in range(max(0, int(getattr(settings, "SCIM_PUSH_FANOUT", 4)) - 1)):
        push_target_task.delay(target_id, run_id)
    push_target_task(target_id, run_id)


@shared_task(name="provisioning.scim.full_sync", ignore_result=True)
def start_scheduled_sync_task(target_id: int) -> None:
    """Run the target's scheduled full sync (named by its beat entry).

    Does nothing when the target is gone, disabled, paused, no longer
    scheduled, or already in a full sync.
    """
    run = services.start_scheduled_sync(target_id)
    if run is not None:
        sync_target_task(target_id, run.pk)


@shared_task(name="provisioning.scim.reconcile_target", ignore_result=True)
def reconcile_target_task(target_id: int, run_id: int, fix: bool = False) -> None:
    """Report drift between a target and Roster; with ``fix``, push the corrections."""
    services.reconcile_target(target_id, run_id=run_id, fix=fix)
    if fix:
        push_target_task.delay(target_id)


@shared_task(name="provisioning.scim.sweep", ignore_result=True)
def sweep_task() -> None:
    """Enqueue a push for every target with pending work (runs every minute)."""
    services.enqueue_pending_pushes()
