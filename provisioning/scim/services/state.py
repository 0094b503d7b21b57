"""Switching SCIM targets: test the connection, enable, disable, pause and resume."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import LifecycleEvent
from accounts.services import require
from provisioning.scim import schedules
from provisioning.scim.client import Capabilities, ScimError
from provisioning.scim.exceptions import ScimTargetUnavailable
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push import client_for
from provisioning.scim.services.enqueue import enqueue_push_on_commit
from provisioning.scim.services.runs import queue_sync
from provisioning.scim.services.targets import Actorish, audit_target


def test_connection(target: ScimTarget, *, by: Actorish) -> Capabilities:
    """Read the target's configuration endpoints and store what it supports.

    Raises ScimTargetUnavailable with the reason when the target cannot be read.
    """
    require(by, "provisioning.change_scimtarget")
    try:
        with client_for(target) as client:
            caps = client.discover()
    except ScimError as exc:
        raise ScimTargetUnavailable(f"{target.name}: {exc.message}") from exc
    ScimTarget.objects.filter(pk=target.pk).update(
        capabilities=caps.to_dict(), capabilities_checked_at=timezone.now()
    )
    target.capabilities = caps.to_dict()
    return caps


@transaction.atomic
def enable_target(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Switch a target on and start its initial sync of everyone in scope."""
    require(by, "provisioning.change_scimtarget")
    target = ScimTarget.objects.select_for_update().get(pk=target.pk)
    if not target.is_enabled:
        audit_target(
            target, LifecycleEvent.Action.UPDATED, by=by, changes={"is_enabled": [False, True]}
        )
    target.is_enabled = True
    target.state = ScimTarget.State.HEALTHY
    target.state_reason = ""
    target.consecutive_failures = 0
    target.backoff_until = None
    target.save(
        update_fields=[
            "is_enabled",
            "state",
            "state_reason",
            "consecutive_failures",
            "backoff_until",
            "updated_at",
        ]
    )
    schedules.schedule_full_sync(target)
    return queue_sync(target)


@transaction.atomic
def disable_target(target: ScimTarget, *, by: Actorish) -> ScimTarget:
    """Stop pushing to a target (its links are kept)."""
    require(by, "provisioning.change_scimtarget")
    if ScimTarget.objects.filter(pk=target.pk, is_enabled=True).update(is_enabled=False):
        audit_target(
            target, LifecycleEvent.Action.UPDATED, by=by, changes={"is_enabled": [True, False]}
        )
    target.refresh_from_db()
    schedules.schedule_full_sync(target)
    return target


@transaction.atomic
def pause_target(target: ScimTarget, *, by: Actorish, reason: str = "") -> ScimTarget:
    """Pause pushes to a target; changes keep accumulating in the outbox."""
    require(by, "provisioning.change_scimtarget")
    reason = (reason or "Paused by an administrator.")[:500]
    ScimTarget.objects.filter(pk=target.pk).update(
        state=ScimTarget.State.PAUSED, state_reason=reason
    )
    target.refresh_from_db()
    schedules.schedule_full_sync(target)
    audit_target(target, LifecycleEvent.Action.PAUSED, by=by, reason=reason)
    return target


@transaction.atomic
def resume_target(target: ScimTarget, *, by: Actorish) -> ScimTarget:
    """Resume a paused target and push what accumulated meanwhile."""
    require(by, "provisioning.change_scimtarget")
    ScimTarget.objects.filter(pk=target.pk).update(
        state=ScimTarget.State.HEALTHY,
        state_reason="",
        consecutive_failures=0,
        backoff_until=None,
    )
    ScimLink.objects.filter(target=target, next_attempt_at__isnull=False).update(
        next_attempt_at=None, attempts=0
    )
    target.refresh_from_db()
    schedules.schedule_full_sync(target)
    audit_target(target, LifecycleEvent.Action.RESUMED, by=by)
    enqueue_push_on_commit(target)
    return target
