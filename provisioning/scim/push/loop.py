"""The push pass: claim a batch, send its requests, record the results, until done.

Workers claim pending links in batches (``claim``), send the requests
outside any transaction (``send``, ``bulk``), and record ``synced_version``
and the confirmed attribute snapshot only after the target answered
(``record``). A lost task, a dead worker or a broker outage therefore delays
a change but never loses or doubles it.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.utils import timezone

from provisioning.scim.client import ScimClient, ScimError
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.push.bulk import (
    BULK_CHUNK,
    bulk_candidates,
    bulk_create,
    look_up_by_listing,
)
from provisioning.scim.push.claim import claim, lease_seconds, load_claimed
from provisioning.scim.push.connect import client_for
from provisioning.scim.push.outbox import ensure_links
from provisioning.scim.push.record import (
    record_failure,
    record_success,
    release,
    stop,
    write_failure,
    write_successes,
)
from provisioning.scim.push.runs import changes_run_id, flush_run, maybe_finish_runs
from provisioning.scim.push.send import PushEngine
from provisioning.scim.push.work import PushOutcome, Result, Work

logger = logging.getLogger(__name__)

BATCH_SIZE = 50


def push_pending(
    target_id: int,
    *,
    run_id: int | None = None,
    max_seconds: float = 300.0,
    client: ScimClient | None = None,
) -> PushOutcome:
    """Push every pending link of a target; return counts and when to retry.

    Safe to run in any number of workers at once (they share the batches)
    and to repeat (a link the target confirmed is no longer pending). Stops
    early, with ``retry_in`` set, when the target throttles or fails, and
    after ``max_seconds`` (then ``retry_in`` is 0).
    """
    outcome = PushOutcome()
    target = ScimTarget.objects.filter(pk=target_id).first()
    if target is None or not target.is_enabled or target.is_paused:
        return outcome
    now = timezone.now()
    if target.backoff_until and target.backoff_until > now:
        outcome.retry_in = (target.backoff_until - now).total_seconds()
        return outcome
    ensure_links(target)
    own_client = client is None
    client = client or client_for(target)
    engine = PushEngine(target, client, outcome)
    started = time.monotonic()
    flushed: dict[str, int] = {}
    run_id = run_id or changes_run_id(target)
    after_id = 0
    try:
        while True:
            if time.monotonic() - started > max_seconds:
                outcome.retry_in = 0.0
                break
            size = BULK_CHUNK if engine.caps.bulk else BATCH_SIZE
            claimed = claim(target, size, after_id=after_id)
            if not claimed and after_id:
                # Back to the start: rows skipped as locked, or changed since.
                after_id = 0
                claimed = claim(target, size)
            if not claimed:
                break
            after_id = max(i for i, _ in claimed)
            must_stop = push_batch(target, engine, load_claimed(target, claimed), outcome)
            outcome.requests = client.requests_sent
            flush_run(run_id, outcome, flushed)
            if must_stop:
                break
    finally:
        outcome.requests = client.requests_sent
        flush_run(run_id, outcome, flushed)
        if own_client:
            client.close()
    maybe_finish_runs(target)
    return outcome


def push_batch(
    target: ScimTarget, engine: PushEngine, work: list[Work], outcome: PushOutcome
) -> bool:
    """Process one claimed batch; return True when the pass must stop."""
    remaining = {w.link.id for w in work}
    done: list[tuple[Work, Result]] = []
    lease_start = time.monotonic()

    def flush() -> None:
        sent = any(r.sent for _, r in done)
        write_successes(done, timezone.now())
        if sent:
            record_success(target)

    try:
        try:
            look_up_by_listing(engine, work)
        except ScimError as exc:
            return stop(target, exc, outcome)
        bulk = bulk_candidates(engine, work)
        bulk_results: dict[int, Result | ScimError] = {}
        if bulk:
            try:
                bulk_results = bulk_create(engine, bulk)
            except ScimError as exc:
                if exc.transient:
                    return stop(target, exc, outcome)
                # Bulk refused as a whole (e.g. 413): fall back to single requests.
                bulk_results = {}
        for w in work:
            if time.monotonic() - lease_start > lease_seconds() / 2:
                flush()
                ScimLink.objects.filter(id__in=list(remaining)).update(
                    lease_until=timezone.now() + timedelta(seconds=lease_seconds())
                )
                lease_start = time.monotonic()
            try:
                result = bulk_results.get(w.link.id) or engine.decide(w)
                if isinstance(result, ScimError):
                    raise result
            except ScimError as exc:
                flush()
                remaining.discard(w.link.id)
                if exc.transient and exc.retry_after is not None and exc.status in (429, 503):
                    release([w.link.id])
                    return stop(target, exc, outcome)
                write_failure(w, exc, timezone.now(), permanent=not exc.transient)
                outcome.add("failed")
                logger.warning(
                    "SCIM push to %s failed for person #%s: %s",
                    target.name,
                    w.link.person_ref,
                    exc.message,
                )
                if exc.transient:
                    return stop(target, exc, outcome)
                record_failure(target, exc.message, wait=0, transient=False)
                if target.is_paused:
                    return True
                continue
            remaining.discard(w.link.id)
            done.append((w, result))
            outcome.add(result.counter)
        return False
    finally:
        flush()
        release(list(remaining))
