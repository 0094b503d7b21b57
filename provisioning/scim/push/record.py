"""Recording: what the target confirmed, what failed, and the target's health.

Successes write ``synced_version`` and the confirmed attribute snapshot only
after the target answered, for a whole batch at once. A failure backs the
link off exponentially (with jitter) and, after too many in a row, pauses
the target; a Retry-After puts the whole target in backoff.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from provisioning.scim import schedules
from provisioning.scim.client import ScimError
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.push.work import PushOutcome, Result, Work

MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
SUCCESS_FIELDS = [
    "remote_id",
    "synced_version",
    "snapshot",
    "needs_lookup",
    "needs_manager",
    "failed_version",
    "attempts",
    "next_attempt_at",
    "last_error",
    "last_pushed_at",
    "lease_until",
]


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 2**attempt seconds, capped."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, 2.0 ** max(0, attempt))


# --- target health ----------------------------------------------------------


def record_success(target: ScimTarget) -> None:
    """Mark the target healthy again after a request went through (unless paused)."""
    ScimTarget.objects.filter(pk=target.pk).filter(
        Q(consecutive_failures__gt=0) | Q(state=ScimTarget.State.RETRYING)
    ).exclude(state=ScimTarget.State.PAUSED).update(
        consecutive_failures=0, state=ScimTarget.State.HEALTHY, state_reason="", backoff_until=None
    )


def record_failure(
    target: ScimTarget, message: str, *, wait: float | None, transient: bool = True
) -> float:
    """Count a failure; pause the target after too many in a row. Return the wait.

    A transient failure also puts the whole target in backoff (retrying);
    a permanent one (a 4xx for one person) only counts towards the pause.
    """
    now = timezone.now()
    with transaction.atomic():
        row = ScimTarget.objects.select_for_update().get(pk=target.pk)
        row.consecutive_failures += 1
        delay = wait if wait is not None else backoff(row.consecutive_failures)
        fields = ["consecutive_failures", "state", "state_reason", "backoff_until", "updated_at"]
        if not transient and row.consecutive_failures < row.pause_after_failures:
            row.save(update_fields=["consecutive_failures", "updated_at"])
            return 0.0
        if row.consecutive_failures >= row.pause_after_failures:
            row.state = ScimTarget.State.PAUSED
            row.state_reason = (
                f"Paused after {row.consecutive_failures} consecutive failures. Last: {message}"
            )[:500]
        elif row.state != ScimTarget.State.PAUSED:
            row.state = ScimTarget.State.RETRYING
            row.state_reason = f"Retrying at {now + timedelta(seconds=delay):%H:%M:%S}: {message}"[
                :500
            ]
        row.backoff_until = now + timedelta(seconds=delay)
        row.save(update_fields=fields)
        if row.state == ScimTarget.State.PAUSED:
            schedules.schedule_full_sync(row)
    target.state = row.state
    return delay


def _throttled(target: ScimTarget, message: str, wait: float) -> float:
    until = timezone.now() + timedelta(seconds=wait)
    ScimTarget.objects.filter(pk=target.pk).exclude(state=ScimTarget.State.PAUSED).update(
        state=ScimTarget.State.RETRYING,
        state_reason=f"The target asked to wait until {until:%H:%M:%S}: {message}"[:500],
        backoff_until=until,
    )
    return wait


def stop(target: ScimTarget, exc: ScimError, outcome: PushOutcome) -> bool:
    """Put the target in backoff for ``exc`` and tell the pass when to retry; return True."""
    if exc.status in (429, 503) and exc.retry_after is not None:
        outcome.retry_in = _throttled(target, exc.message, exc.retry_after)
    else:
        outcome.retry_in = record_failure(target, exc.message, wait=None)
    outcome.stopped = exc.message
    return True


# --- links ------------------------------------------------------------------


def write_successes(done: list[tuple[Work, Result]], now: datetime) -> None:
    """Record what the target confirmed, for a whole batch in one transaction."""
    if not done:
        return
    drop = [w.link.pk for w, r in done if r.drop]
    rows = []
    for w, r in done:
        if r.drop:
            continue
        link = w.link
        link.remote_id = r.remote_id
        link.synced_version = w.values["version"] if w.values else link.synced_version
        link.snapshot = r.snapshot
        link.needs_lookup = False
        link.needs_manager = r.needs_manager
        link.failed_version = None
        link.attempts = 0
        link.next_attempt_at = None
        link.last_error = ""
        if r.sent:
            link.last_pushed_at = now
        link.lease_until = None
        rows.append(link)
    with transaction.atomic():
        if drop:
            ScimLink.objects.filter(pk__in=drop).delete()
        if connection.vendor == "postgresql":
            _update_from_values(rows)
        else:
            ScimLink.objects.bulk_update(rows, SUCCESS_FIELDS)
    done.clear()


def _update_from_values(rows: list[ScimLink]) -> None:
    # One UPDATE … FROM (VALUES …): Django's bulk_update builds a CASE per
    # field and row, which costs more than the SCIM requests themselves.
    if not rows:
        return
    table = ScimLink._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for link in rows:
        params += [
            link.pk,
            link.remote_id,
            link.synced_version,
            json.dumps(link.snapshot),
            link.needs_manager,
            link.last_pushed_at,
        ]
    sql = f"""
        UPDATE {table} AS l SET
            remote_id = v.remote_id::varchar,
            synced_version = v.synced_version::bigint,
            snapshot = v.snapshot::jsonb,
            needs_lookup = false,
            needs_manager = v.needs_manager::boolean,
            failed_version = NULL,
            attempts = 0,
            next_attempt_at = NULL,
            last_error = '',
            last_pushed_at = v.pushed_at::timestamptz,
            lease_until = NULL
        FROM (VALUES {values})
            AS v(id, remote_id, synced_version, snapshot, needs_manager, pushed_at)
        WHERE l.id = v.id::bigint
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def write_failure(w: Work, exc: ScimError, now: datetime, *, permanent: bool) -> None:
    """Record a failed attempt: back the link off, or give up on this version of the person."""
    link = w.link
    attempts = link.attempts + 1
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_error": exc.message[:2000],
        "lease_until": None,
    }
    if permanent or attempts >= MAX_ATTEMPTS:
        fields["failed_version"] = w.values["version"] if w.values else None
        fields["next_attempt_at"] = None
        if w.values is None:  # an orphan keeps trying, slowly
            fields["next_attempt_at"] = now + timedelta(seconds=MAX_BACKOFF)
    else:
        fields["next_attempt_at"] = now + timedelta(seconds=backoff(attempts))
    ScimLink.objects.filter(pk=link.pk).update(**fields)


def release(ids: list[int]) -> None:
    """Drop the leases of links left unfinished, so another pass may claim them now."""
    if ids:
        ScimLink.objects.filter(id__in=ids).update(lease_until=None)
