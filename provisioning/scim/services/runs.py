"""Runs of a target: start a sync, a reconcile or a dry run, in a worker or in this process.

``start_*`` record the run and queue its task after commit; ``run_*_now``
do the work in this process (the command line's ``--wait``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.jobs import task
from accounts.services import require
from provisioning.scim import schedules
from provisioning.scim.client import ScimError
from provisioning.scim.exceptions import ScimTargetUnavailable
from provisioning.scim.groups_push import push_groups
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push import plan_requests, push_pending, reconcile_target, sync_target
from provisioning.scim.push.build import REPORT_LIMIT
from provisioning.scim.services.targets import Actorish


def start_run(target: ScimTarget, kind: str) -> ScimRun:
    """Record a new run of ``kind`` for the target."""
    return ScimRun.objects.create(target=target, kind=kind)


def queue_sync(target: ScimTarget) -> ScimRun:
    """Record a full sync run and queue its task once the transaction commits."""
    run = start_run(target, ScimRun.Kind.SYNC)
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.sync_target_task").delay, target.pk, run.pk)
    )
    return run


def require_enabled(target: ScimTarget) -> None:
    """Raise ScimTargetUnavailable unless the target is enabled and not paused."""
    if not target.is_enabled:
        raise ScimTargetUnavailable(f"{target.name} is not enabled.")
    if target.is_paused:
        raise ScimTargetUnavailable(f"{target.name} is paused: {target.state_reason}")


@transaction.atomic
def start_sync(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Sync now: list the target's users, match them, and push every difference."""
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    require_enabled(target)
    ScimLink.objects.filter(target=target).update(failed_version=None, next_attempt_at=None)
    return queue_sync(target)


# A full sync still marked running after this long is taken as abandoned
# (its worker died): the next scheduled one starts anyway.
STALE_SYNC = timedelta(hours=6)


@transaction.atomic
def start_scheduled_sync(target_id: int) -> ScimRun | None:
    """Record the scheduled full sync of a target and return its run.

    Return None, recording nothing, when the target is gone, disabled,
    paused or no longer scheduled, or while another full sync is running;
    so a beat entry that fires late or twice starts at most one sync.
    People who failed permanently are tried again, as with Sync now.
    """
    target = ScimTarget.objects.select_for_update().filter(pk=target_id).first()
    if target is None or not schedules.is_due_to_run(target):
        return None
    running = ScimRun.objects.filter(
        target=target,
        kind=ScimRun.Kind.SYNC,
        status=ScimRun.Status.RUNNING,
        started_at__gte=timezone.now() - STALE_SYNC,
    )
    if running.exists():
        return None
    ScimLink.objects.filter(target=target).update(failed_version=None, next_attempt_at=None)
    return ScimRun.objects.create(
        target=target, kind=ScimRun.Kind.SYNC, message="Started by the schedule."
    )


@transaction.atomic
def start_reconcile(target: ScimTarget, *, by: Actorish, fix: bool = False) -> ScimRun:
    """Compare remote users with Roster's and report drift; with ``fix``, correct it."""
    # Reconciling reads every remote user: read-only roles send nothing out.
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    if fix:
        require_enabled(target)
    run = start_run(target, ScimRun.Kind.RECONCILE)
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.reconcile_target_task").delay, target.pk, run.pk, fix)
    )
    return run


@transaction.atomic
def dry_run(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Record the requests a push would send now; send nothing."""
    # Dry runs belong with the actions they preview: read-only roles get neither.
    require(by, "provisioning.change_scimtarget")
    plan = plan_requests(target)
    # Groups follow the people they contain: listed after them, members that
    # are not on the target yet counted as waiting.
    group_plan = push_groups(target.pk, dry_run=True)
    plan["requests"] = (
        plan["requests"]
        + [{**r, "person": "group"} for r in group_plan.planned][
            : max(0, REPORT_LIMIT - len(plan["requests"]))
        ]
    )
    plan["group_requests"] = len(group_plan.planned)
    plan["group_members_waiting"] = group_plan.waiting_members
    plan["total"] += len(group_plan.planned)
    # Counted as the push would count them, person by person; the requests
    # it would send are a separate figure.
    return ScimRun.objects.create(
        target=target,
        kind=ScimRun.Kind.DRY_RUN,
        status=ScimRun.Status.FINISHED,
        finished_at=timezone.now(),
        total=plan["people"],
        requests=plan["total"],
        **plan["counts"],
        report=plan,
        message=f"{plan['total']} request(s) would be sent.",
    )


def run_sync_now(target: ScimTarget, *, by: Actorish, max_wait: float = 600.0) -> ScimRun:
    """Sync a target in this process and return the finished run.

    Waits out short throttling (Retry-After, backoff) up to ``max_wait``
    seconds in all. Workers running at the same time share the batches.
    """
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    require_enabled(target)
    ScimLink.objects.filter(target=target).update(failed_version=None, next_attempt_at=None)
    run = start_run(target, ScimRun.Kind.SYNC)
    deadline = time.monotonic() + max_wait
    sync_target(target.pk, run_id=run.pk)
    while True:
        outcome = push_pending(target.pk, run_id=run.pk)
        if outcome.retry_in is None or time.monotonic() + outcome.retry_in > deadline:
            break
        time.sleep(outcome.retry_in)
    run.refresh_from_db()
    if run.status == ScimRun.Status.RUNNING and outcome.stopped:
        run.message = outcome.stopped
        run.save(update_fields=["message"])
    return run


def run_reconcile_now(target: ScimTarget, *, by: Actorish, fix: bool = False) -> ScimRun:
    """Reconcile in this process; with ``fix``, push the corrections too."""
    # Reconciling reads every remote user: read-only roles send nothing out.
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    if fix:
        require_enabled(target)
    run = start_run(target, ScimRun.Kind.RECONCILE)
    try:
        reconcile_target(target.pk, run_id=run.pk, fix=fix)
    except ScimError as exc:
        raise ScimTargetUnavailable(f"{target.name}: {exc.message}") from exc
    if fix:
        push_pending(target.pk)
    run.refresh_from_db()
    return run
