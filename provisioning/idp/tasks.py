"""Celery task that runs one identity-provider source's scheduled sync."""

from __future__ import annotations

from celery import shared_task

from accounts.actors import Actor
from accounts.models import LifecycleEvent
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SyncRun


@shared_task(name="provisioning.sync_source", acks_late=True)
def sync_source_task(source_id: int) -> str:
    """Sync the source if it still exists, is enabled and confirmed; return the run's status.

    A run already going, or one waiting for approval, makes this a no-op.
    """
    source = IdentitySource.objects.filter(pk=source_id).first()
    if source is None or not source.is_enabled or source.confirmed_at is None:
        return "skipped"
    if SyncRun.objects.filter(source=source, status=SyncRun.Status.AWAITING_APPROVAL).exists():
        return "skipped"
    by = Actor(kind=LifecycleEvent.ActorKind.INTEGRATION, label="Schedule", role="admin")
    try:
        run = idp_services.run_sync(source, by=by, trigger=SyncRun.Trigger.SCHEDULE)
    except idp_services.SyncInProgress:
        return "skipped"
    return run.status
