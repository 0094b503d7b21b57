"""A sync run's bookkeeping: claim the source for one run at a time, record how the
run ended, and reload it for the caller."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from provisioning.idp.errors import SyncInProgress
from provisioning.idp.models import IdentitySource, SyncRun

# A run that has held the source this long is taken to have died.
STALE_RUN = timedelta(hours=2)


def claim_source(source: IdentitySource) -> None:
    """Mark the source as running, taking over a run that died. Raises SyncInProgress."""
    now = timezone.now()
    claimed = IdentitySource.objects.filter(
        Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN), pk=source.pk
    ).update(running_since=now)
    if not claimed:
        raise SyncInProgress(f"{source.name} is already syncing; try again when it finishes.")


def release_source(source: IdentitySource) -> None:
    """Let the source's next run start."""
    IdentitySource.objects.filter(pk=source.pk).update(running_since=None)


def reload_run(run: SyncRun) -> SyncRun:
    """Read the run again, with its source and job."""
    return SyncRun.objects.select_related("source", "job").get(pk=run.pk)


def fail_run(run: SyncRun, message: str, *, reason: str = "") -> None:
    """Record that the run failed, with the message an administrator sees."""
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED,
        error_message=message,
        error_reason=reason,
        finished_at=timezone.now(),
    )


def finish_run(run: SyncRun, status: str, *, final: bool = True) -> SyncRun:
    """Give the run its ``status``; ``final`` False leaves it open for a decision."""
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now() if final else None
    )
    return reload_run(run)
