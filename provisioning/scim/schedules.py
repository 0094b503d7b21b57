"""Keep each SCIM target's scheduled full sync in step with its settings.

The schedule is a django-celery-beat PeriodicTask on a crontab in the
organisation's time zone, naming ``provisioning.scim.full_sync`` with the
target's id. It is enabled only while the target is enabled, not paused,
and set to sync daily or weekly; it is removed with the target. The task
checks the target again when it runs, so a schedule left enabled by a
race does nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.organisation import current_organisation
from provisioning.scim.models import ScimRun, ScimTarget

TASK_NAME = "provisioning.scim.full_sync"


def _task_name(target: ScimTarget) -> str:
    return f"Full sync of SCIM target #{target.pk}"


def is_due_to_run(target: ScimTarget) -> bool:
    """Tell whether the target's scheduled full sync should run as it is now."""
    return (
        target.full_sync != ScimTarget.FullSync.NEVER and target.is_enabled and not target.is_paused
    )


def describe(target: ScimTarget) -> str:
    """Say when the full sync runs, e.g. "Every Sunday at 03:00 (Europe/Paris)"."""
    if target.full_sync == ScimTarget.FullSync.NEVER:
        return "Never"
    zone = current_organisation().time_zone
    at = f"{target.full_sync_hour:02d}:00 ({zone})"
    if target.full_sync == ScimTarget.FullSync.WEEKLY:
        return f"Every {ScimTarget.Weekday(target.full_sync_weekday).label} at {at}"
    return f"Every day at {at}"


def schedule_full_sync(target: ScimTarget) -> Any:
    """Create, update or remove the target's PeriodicTask to match its settings (idempotent).

    Return the PeriodicTask, or None when the target never syncs in full.
    """
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if target.full_sync == ScimTarget.FullSync.NEVER:
        remove_full_sync(target)
        return None
    zone = current_organisation().time_zone
    # Cron counts days of the week from Sunday = 0.
    day = "*"
    if target.full_sync == ScimTarget.FullSync.WEEKLY:
        day = str((target.full_sync_weekday + 1) % 7)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(target.full_sync_hour),
        day_of_week=day,
        day_of_month="*",
        month_of_year="*",
        timezone=zone,
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=_task_name(target),
        defaults={
            "task": TASK_NAME,
            "crontab": crontab,
            "interval": None,
            "args": json.dumps([target.pk]),
            "enabled": is_due_to_run(target),
            "description": f"{describe(target)}: full sync of {target.name}.",
        },
    )
    if target.full_sync_task_id != task.pk:
        ScimTarget.objects.filter(pk=target.pk).update(full_sync_task=task)
        target.full_sync_task = task
    return task


def reschedule_all() -> int:
    """Bring every scheduled target's entry in step (after a change of zone); return how many."""
    targets = ScimTarget.objects.exclude(full_sync=ScimTarget.FullSync.NEVER)
    count = 0
    with transaction.atomic():
        for target in targets.select_for_update():
            schedule_full_sync(target)
            count += 1
    return count


def remove_full_sync(target: ScimTarget) -> None:
    """Delete the target's PeriodicTask, if any."""
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name=_task_name(target)).delete()
    if target.full_sync_task_id is not None:
        ScimTarget.objects.filter(pk=target.pk).update(full_sync_task=None)
        target.full_sync_task = None


@dataclass(frozen=True)
class FullSyncStatus:
    """What the target page says about the scheduled full sync."""

    schedule: str
    next_at: datetime | None
    next_note: str
    last: ScimRun | None


def next_run_at(target: ScimTarget, *, now: datetime | None = None) -> datetime | None:
    """Return when the beat will next start the target's full sync, or None."""
    task = target.full_sync_task
    if task is None or not task.enabled or task.crontab is None:
        return None
    now = now or timezone.now()
    schedule = task.crontab.schedule
    # remaining_estimate counts from the given last run to the next match.
    local = now.astimezone(schedule.tz)
    return now + max(timedelta(0), schedule.remaining_estimate(local))


def full_sync_status(target: ScimTarget, *, now: datetime | None = None) -> FullSyncStatus:
    """Return the schedule, the next run and the last full sync of a target."""
    last = ScimRun.objects.filter(target=target, kind=ScimRun.Kind.SYNC).first()
    next_at = next_run_at(target, now=now)
    note = ""
    if target.full_sync == ScimTarget.FullSync.NEVER:
        note = "Not scheduled."
    elif not target.is_enabled:
        note = "Not scheduled while the target is disabled."
    elif target.is_paused:
        note = "Not scheduled while the target is paused."
    return FullSyncStatus(schedule=describe(target), next_at=next_at, next_note=note, last=last)
