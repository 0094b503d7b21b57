"""Keep each source's django-celery-beat schedule in step with its settings."""

from __future__ import annotations

import json
from typing import Any

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
            "description": f"Sync {source.name} every {source.sync_interval_minutes} minutes.",
        },
    )
    if source.periodic_task_id != task.pk:
        IdentitySource.objects.filter(pk=source.pk).update(periodic_task=task)
        source.periodic_task = task
    return task
