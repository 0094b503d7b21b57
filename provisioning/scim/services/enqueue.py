"""Queueing pushes: after a target's change commits, after people change, and from the sweep.

Tasks are queued by name (``accounts.jobs.task``), so this module never
imports the task module. A message the broker loses only delays a push:
the outbox is the people's state itself, and the sweep finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.jobs import task
from provisioning.scim.groups_push import has_pending_groups
from provisioning.scim.models import ScimTarget
from provisioning.scim.push import ensure_links, pending_links

logger = logging.getLogger(__name__)


def enqueue_push_on_commit(target: ScimTarget) -> None:
    """Queue a push of the target once the current transaction commits."""
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.push_target_task").delay, target.pk)
    )


def _active_targets() -> Iterable[int]:
    return (
        ScimTarget.objects.filter(is_enabled=True)
        .exclude(state=ScimTarget.State.PAUSED)
        .values_list("pk", flat=True)
    )


def _send(target_id: int) -> bool:
    try:
        # retry=False: with the broker down, fail at once; the sweep delivers later.
        task("provisioning.scim.tasks.push_target_task").apply_async((target_id,), retry=False)
    except Exception:  # any broker failure; the outbox keeps the change
        logger.warning("Could not enqueue the SCIM push of target %s; the sweep will.", target_id)
        return False
    return True


def notify_people_changed(person_ids: list[int]) -> int:
    """Enqueue a push to every active target; return how many were enqueued.

    Called after commit. Never raises: a lost message only delays the change
    until the next sweep, because the outbox is the people's state itself.
    """
    if not person_ids:
        return 0
    return sum(_send(pk) for pk in _active_targets())


def notify_groups_changed(group_ids: list[int]) -> int:
    """Enqueue a push to every active target that receives groups; return how many."""
    if not group_ids:
        return 0
    targets = ScimTarget.objects.filter(pk__in=list(_active_targets()), push_groups=True)
    return sum(_send(pk) for pk in targets.values_list("pk", flat=True))


def enqueue_pending_pushes() -> list[int]:
    """Sweep: enqueue a push for every active target with pending links; return their ids."""
    now = timezone.now()
    queued = []
    for target in ScimTarget.objects.filter(is_enabled=True).exclude(state=ScimTarget.State.PAUSED):
        if target.backoff_until and target.backoff_until > now:
            continue
        ensure_links(target)
        pending = pending_links(target).exists() or has_pending_groups(target)
        if pending and _send(target.pk):
            queued.append(target.pk)
    return queued
