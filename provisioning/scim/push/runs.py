"""Run bookkeeping: the run a push counts into, its progress, and when it is finished.

A full sync, a reconcile or a dry run has its own ScimRun; incremental
pushes collect into one CHANGES run per 10 minutes. Counts are added as
database expressions, so any number of workers count into one run.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.utils import timezone

from provisioning.scim.models import ScimRun, ScimTarget
from provisioning.scim.push.outbox import pending_links
from provisioning.scim.push.work import COUNTERS, PushOutcome

# At most this many entries per list in a run's report (drift, dry-run requests).
REPORT_LIMIT = 500


def done_expression() -> Combinable:
    """The run's people done so far, as a database expression (ScimRun.done)."""
    expression: Combinable = F(COUNTERS[0])
    for name in COUNTERS[1:]:
        expression = expression + F(name)
    return expression


def flush_run(run_id: int | None, outcome: PushOutcome, flushed: dict[str, int]) -> None:
    """Add to the run what ``outcome`` counted since the last flush (kept in ``flushed``)."""
    if run_id is None:
        return
    delta = {k: v - flushed.get(k, 0) for k, v in outcome.counts.items()}
    delta["requests"] = outcome.requests - flushed.get("requests", 0)
    updates = {k: F(k) + v for k, v in delta.items() if v}
    if updates:
        ScimRun.objects.filter(pk=run_id).update(**updates)
        # A person retried after a failure, or changed again while the run
        # is open, is a second piece of work: the total grows with it so
        # progress never reads "7/0" or passes 100%.
        ScimRun.objects.filter(pk=run_id, total__lt=done_expression()).update(
            total=done_expression()
        )
    flushed.update(outcome.counts)
    flushed["requests"] = outcome.requests


def changes_run_id(target: ScimTarget) -> int | None:
    """Return the run that collects incremental pushes (one per 10 minutes)."""
    since = timezone.now() - timedelta(minutes=10)
    run = (
        ScimRun.objects.filter(target=target, kind=ScimRun.Kind.CHANGES, started_at__gte=since)
        .order_by("-started_at")
        .values_list("pk", flat=True)
        .first()
    )
    pending = pending_links(target).count()
    if run is not None:
        # What is done stays done; what is pending now is still to do.
        ScimRun.objects.filter(pk=run).update(
            status=ScimRun.Status.RUNNING, finished_at=None, total=done_expression() + pending
        )
        return run
    if not pending:
        return None
    return ScimRun.objects.create(target=target, kind=ScimRun.Kind.CHANGES, total=pending).pk


def maybe_finish_runs(target: ScimTarget) -> None:
    """Finish the target's running runs once nothing is left to push now."""
    now = timezone.now()
    busy = (
        pending_links(target)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exists()
    )
    if busy:
        return
    # A sync run is done only once its listing step has run (it writes the
    # report); before that, "nothing pending" means nothing was compared yet.
    ScimRun.objects.filter(target=target, status=ScimRun.Status.RUNNING).filter(
        Q(kind=ScimRun.Kind.CHANGES) | (Q(kind=ScimRun.Kind.SYNC) & ~Q(report={}))
    ).update(status=ScimRun.Status.FINISHED, finished_at=now)
    ScimTarget.objects.filter(pk=target.pk, initial_sync_at__isnull=True).update(
        initial_sync_at=now
    )
