"""Keep each source's django-celery-beat schedule in step with its settings."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from provisioning.idp.models import IdentitySource

TASK_NAME = "provisioning.sync_source"


def schedule_source(source: IdentitySource) -> Any:
    """Create or update the source's django-celery-beat PeriodicTask (idempotent).

    Scheduled runs start once the first run was confirmed and the source is enabled.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=source.sync_interval_minutes, period=IntervalSchedule.MINUTES
    )
    enabled = source.is_enabled and source.confirmed_at is not None
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"Sync identity provider #{source.pk}",
        defaults={
            "task": TASK_NAME,
            "interval": interval,
            "args": json.dumps([source.pk]),
            "enabled": enabled,
            "description": f"{describe_schedule(source)}: sync {source.name}.",
        },
    )
    if source.periodic_task_id != task.pk:
        IdentitySource.objects.filter(pk=source.pk).update(periodic_task=task)
        source.periodic_task = task
    return task


# The intervals an administrator picks from, in minutes; "manual" is no
# schedule (``is_enabled`` False: only Sync now and the command line run it).
MANUAL = "manual"
SYNC_CHOICES: tuple[tuple[str, str], ...] = (
    ("15", "Every 15 minutes"),
    ("60", "Every hour"),
    ("360", "Every 6 hours"),
    ("1440", "Every day"),
    (MANUAL, "Manually only"),
)


def describe_interval(minutes: int) -> str:
    """Say how often a source syncs, e.g. "Every 6 hours", "Every 40 minutes"."""
    for value, label in SYNC_CHOICES:
        if value == str(minutes):
            return label
    if minutes % 60 == 0:
        return f"Every {minutes // 60} hours"
    return f"Every {minutes} minutes"


def describe_schedule(source: IdentitySource) -> str:
    """Say how often the source syncs, or that it syncs only by hand."""
    if not source.is_enabled:
        return "Manually only"
    return describe_interval(source.sync_interval_minutes)


def next_sync_at(source: IdentitySource, *, now: datetime | None = None) -> datetime | None:
    """Return when the beat will next start the source's sync, or None when not scheduled.

    Counted from the schedule's last start (or from when it was last saved);
    a start that is already due reads as now.
    """
    task = source.periodic_task
    if task is None or not task.enabled or task.interval is None:
        return None
    now = now or timezone.now()
    since = task.last_run_at or task.date_changed or now
    return max(now, since + timedelta(minutes=source.sync_interval_minutes))


def schedule_note(source: IdentitySource) -> str:
    """Say why a source has no next sync (empty when it has one)."""
    if not source.is_enabled:
        return "None: this source syncs only when Sync now is pressed."
    if source.confirmed_at is None:
        return "After an administrator confirms the first run."
    return ""
