"""The push engine: a state-based outbox from people to SCIM targets.

A link (person, target) is *pending* when the person's ``version`` is ahead of
the link's ``synced_version``, when the person was deleted (the link's person
became null), when the person left the target's scope while still active
there, or when a manager reference could not be set earlier and the manager
now exists remotely. Workers claim pending links in batches with
``SELECT … FOR UPDATE SKIP LOCKED`` and a short lease, send the requests
outside any transaction, and record ``synced_version`` and the confirmed
attribute snapshot only after the target answered. A lost task, a dead
worker or a broker outage therefore delays a change but never loses or
doubles it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Person
from provisioning.scim import mapping, ratelimit
from provisioning.scim.client import (
    Capabilities,
    Conflict,
    Credentials,
    NotFound,
    RemoteUser,
    ScimClient,
    ScimError,
)
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.secrets import decrypt

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
BULK_CHUNK = 200
# From this many possibly existing users in a batch, one listing beats filters.
LISTING_THRESHOLD = 20
MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
PERSON_FIELDS = (
    "id",
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "department",
    "location",
    "phone_number",
    "status",
    "source",
    "manager_id",
    "version",
)
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
COUNTERS = ("created", "updated", "adopted", "deactivated", "deleted", "unchanged", "failed")


# --- scope ------------------------------------------------------------------


def scope_q(target: ScimTarget, prefix: str = "") -> Q:
    """Return the filter selecting the people in the target's scope."""
    q = Q()
    for name, values in (
        ("department", target.scope_departments),
        ("location", target.scope_locations),
        ("status", target.scope_statuses),
        ("source", target.scope_sources),
    ):
        if values:
            q &= Q(**{f"{prefix}{name}__in": values})
    return q


def has_scope(target: ScimTarget) -> bool:
    return bool(
        target.scope_departments
        or target.scope_locations
        or target.scope_statuses
        or target.scope_sources
    )


def in_scope(target: ScimTarget, values: dict[str, Any]) -> bool:
    """Tell whether a person (as a dict of fields) is in the target's scope."""
    return all(
        not allowed or values.get(name) in allowed
        for name, allowed in (
            ("department", target.scope_departments),
            ("location", target.scope_locations),
            ("status", target.scope_statuses),
            ("source", target.scope_sources),
        )
    )


def people_in_scope(target: ScimTarget) -> QuerySet[Person]:
    return Person.objects.filter(scope_q(target))


# --- pending ----------------------------------------------------------------


def pending_q(target: ScimTarget) -> Q:
    """Return the filter selecting the target's links that need a request."""
    changed = Q(person__isnull=False, synced_version__lt=F("person__version")) & (
        Q(failed_version__isnull=True) | ~Q(failed_version=F("person__version"))
    )
    manager_ready = Q(needs_manager=True) & Exists(
        ScimLink.objects.filter(
            target_id=target.pk,
            person_id=OuterRef("person__manager_id"),
            remote_id__isnull=False,
        )
    )
    q = changed | Q(person__isnull=True) | manager_ready
    if has_scope(target):
        left_scope = Q(person__isnull=False, remote_id__isnull=False) & ~scope_q(target, "person__")
        if target.deactivation == ScimTarget.Deactivation.PATCH:
            left_scope &= Q(snapshot__active=True)
        q |= left_scope
    return q


def pending_links(target: ScimTarget) -> QuerySet[ScimLink]:
    return ScimLink.objects.filter(target=target).filter(pending_q(target))


def ensure_links(target: ScimTarget) -> int:
    """Create the missing links of people in scope (never pushed yet); return how many."""
    missing = (
        people_in_scope(target)
        .exclude(Exists(ScimLink.objects.filter(target=target, person_ref=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    rows = [ScimLink(target=target, person_id=pk, person_ref=pk) for pk in missing.iterator()]
    ScimLink.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


# --- client -----------------------------------------------------------------


def credentials_for(target: ScimTarget) -> Credentials:
    if target.auth_method == ScimTarget.AuthMethod.OAUTH2:
        return Credentials(
            token_url=target.oauth_token_url,
            client_id=target.oauth_client_id,
            client_secret=decrypt(target.oauth_client_secret_encrypted),
            scope=target.oauth_scope,
        )
    return Credentials(bearer_token=decrypt(target.token_encrypted))


def client_for(target: ScimTarget) -> ScimClient:
    """Build the HTTP client of a target, rate-limited across workers."""
    return ScimClient(
        target.base_url,
        credentials_for(target),
        capabilities=Capabilities.from_dict(target.capabilities) if target.capabilities else None,
        before_request=ratelimit.limiter(f"target:{target.pk}", target.rate_limit),
    )


# --- outcome ----------------------------------------------------------------


@dataclass
class PushOutcome:
    """What one push pass did, and when to try again if it stopped early."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    requests: int = 0
    retry_in: float | None = None
    stopped: str = ""

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 2**attempt seconds, capped."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, 2.0 ** max(0, attempt))


# --- target health ----------------------------------------------------------


def _record_success(target: ScimTarget) -> None:
    ScimTarget.objects.filter(pk=target.pk).filter(
        Q(consecutive_failures__gt=0) | Q(state=ScimTarget.State.RETRYING)
    ).exclude(state=ScimTarget.State.PAUSED).update(
        consecutive_failures=0, state=ScimTarget.State.HEALTHY, state_reason="", backoff_until=None
    )


def _record_failure(
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


# --- claiming ---------------------------------------------------------------


def lease_seconds() -> int:
    return int(getattr(settings, "SCIM_LEASE_SECONDS", 60))


def claim(target: ScimTarget, size: int, *, after_id: int = 0) -> list[tuple[int, bool]]:
    """Lease up to ``size`` pending links; return (link id, needed lookup) pairs.

    Only links with an id above ``after_id`` are considered, so a pass walks
    the table once instead of rescanning what it already pushed. Rows
    another worker holds are skipped. Links that may be created get
    ``needs_lookup`` set while leased, so if this worker dies after sending
    a POST, the next one looks the user up before creating it again.
    """
    now = timezone.now()
    with transaction.atomic():
        qs = (
            pending_links(target)
            .filter(id__gt=after_id)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))
        )
        rows = list(qs.values_list("id", "needs_lookup", "remote_id")[:size])
        if not rows:
            return []
        ids = [r[0] for r in rows]
        until = now + timedelta(seconds=lease_seconds())
        ScimLink.objects.filter(id__in=ids).update(lease_until=until)
        ScimLink.objects.filter(id__in=ids, remote_id__isnull=True, needs_lookup=False).update(
            needs_lookup=True
        )
    return [(r[0], r[1]) for r in rows]


# --- one link ---------------------------------------------------------------


@dataclass
class Work:
    """A claimed link with everything needed to decide its requests."""

    link: ScimLink
    needed_lookup: bool
    values: dict[str, Any] | None
    manager_remote_id: str | None
    found: RemoteUser | None = None


def _load(target: ScimTarget, claimed: list[tuple[int, bool]]) -> list[Work]:
    lookup = dict(claimed)
    links = list(ScimLink.objects.filter(id__in=lookup).order_by("id"))
    person_ids = [link.person_id for link in links if link.person_id]
    people = {
        row["id"]: row for row in Person.objects.filter(id__in=person_ids).values(*PERSON_FIELDS)
    }
    manager_ids = {p["manager_id"] for p in people.values() if p["manager_id"]}
    managers = dict(
        ScimLink.objects.filter(
            target=target, person_id__in=manager_ids, remote_id__isnull=False
        ).values_list("person_id", "remote_id")
    )
    work = []
    for link in links:
        values = people.get(link.person_id) if link.person_id else None
        manager = managers.get(values["manager_id"]) if values and values["manager_id"] else None
        work.append(Work(link, lookup[link.id], values, manager))
    return work


def desired_for(
    target: ScimTarget,
    values: dict[str, Any],
    manager_remote_id: str | None,
    *,
    active: bool,
    mapping_: dict[str, str] | None = None,
) -> dict[str, Any]:
    effective = mapping_ or mapping.effective_mapping(target.attribute_mapping)
    return mapping.desired_state(
        values, mapping=effective, manager_remote_id=manager_remote_id, active=active
    )


@dataclass
class Result:
    """What to write to a link after the target confirmed."""

    counter: str
    remote_id: str | None
    snapshot: dict[str, Any]
    needs_manager: bool = False
    sent: bool = True
    drop: bool = False


class PushEngine:
    """Send the requests for claimed links of one target and record the results."""

    def __init__(self, target: ScimTarget, client: ScimClient, outcome: PushOutcome):
        self.target = target
        self.client = client
        self.outcome = outcome
        self.mapping = mapping.effective_mapping(target.attribute_mapping)
        self.caps = client.capabilities

    # -- decisions --

    def decide(self, w: Work) -> Result | None:
        """Send what one link needs and return the result (None = left for bulk)."""
        link, values = w.link, w.values
        if values is None:
            if link.remote_id:
                self.client.delete_user(link.remote_id)
                return Result("deleted", None, {}, drop=True)
            return Result("unchanged", None, {}, sent=False, drop=True)
        scoped = in_scope(self.target, values)
        active = scoped and values["status"] != Person.Status.DEACTIVATED
        if not active:
            return self._deactivate(w, scoped)
        desired = desired_for(
            self.target, values, w.manager_remote_id, active=True, mapping_=self.mapping
        )
        needs_manager = bool(values["manager_id"]) and w.manager_remote_id is None
        if link.remote_id is None:
            return self._create(w, desired, needs_manager)
        return self._update(w, link.remote_id, link.snapshot, desired, needs_manager)

    def _deactivate(self, w: Work, scoped: bool) -> Result:
        link = w.link
        if link.remote_id is None:
            return Result("unchanged", None, {}, sent=False)
        if self.target.deactivation == ScimTarget.Deactivation.DELETE:
            self.client.delete_user(link.remote_id)
            return Result("deactivated", None, {})
        if scoped:
            desired = desired_for(
                self.target,
                w.values or {},
                w.manager_remote_id,
                active=False,
                mapping_=self.mapping,
            )
        else:
            desired = {**link.snapshot, "active": False}
        changed = mapping.diff(link.snapshot, desired)
        if not changed:
            return Result("unchanged", link.remote_id, link.snapshot, sent=False)
        try:
            self._send_update(link.remote_id, desired, changed)
        except NotFound:
            return Result("deactivated", None, {})
        return Result("deactivated", link.remote_id, desired)

    def _send_update(self, remote_id: str, desired: dict[str, Any], changed: list[str]) -> None:
        if self.caps.patch:
            self.client.patch_user(remote_id, mapping.patch_operations(desired, changed))
        else:
            self.client.replace_user(remote_id, mapping.to_resource(desired))

    def _update(
        self,
        w: Work,
        remote_id: str,
        snapshot: dict[str, Any],
        desired: dict[str, Any],
        needs_manager: bool,
        counter: str = "updated",
    ) -> Result:
        changed = mapping.diff(snapshot, desired)
        if not changed:
            return Result(
                "unchanged" if counter == "updated" else counter,
                remote_id,
                snapshot,
                needs_manager=needs_manager,
                sent=False,
            )
        try:
            self._send_update(remote_id, desired, changed)
        except NotFound:
            # Deleted on the target behind Roster's back: create it again.
            return self._create(w, desired, needs_manager, lookup=False)
        return Result(counter, remote_id, desired, needs_manager=needs_manager)

    def _adopt(
        self, w: Work, remote: RemoteUser, desired: dict[str, Any], needs_manager: bool
    ) -> Result:
        snapshot = mapping.flatten(remote.payload, set(desired) | {"active"})
        return self._update(w, remote.id, snapshot, desired, needs_manager, counter="adopted")

    def _create(
        self, w: Work, desired: dict[str, Any], needs_manager: bool, lookup: bool | None = None
    ) -> Result:
        if lookup is None:
            lookup = w.needed_lookup
        user_name = str(desired.get("userName", ""))
        if w.found is not None:
            return self._adopt(w, w.found, desired, needs_manager)
        if lookup and user_name:
            found = self.client.find_user(user_name)
            if found is not None:
                return self._adopt(w, found, desired, needs_manager)
        try:
            created = self.client.create_user(mapping.to_resource(desired))
        except Conflict:
            found = self.client.find_user(user_name)
            if found is None:
                raise
            return self._adopt(w, found, desired, needs_manager)
        return Result("created", created.id, desired, needs_manager=needs_manager)

    # -- bulk --

    def look_up_by_listing(self, work: list[Work]) -> None:
        """Find many possibly existing users with one paged listing, not one filter each.

        A batch left by a worker that died mid-request has every create marked
        for lookup; filters scan the whole store on many servers.
        """
        wanted = [
            w
            for w in work
            if w.values is not None
            and w.link.remote_id is None
            and w.needed_lookup
            and in_scope(self.target, w.values)
            and w.values["status"] != Person.Status.DEACTIVATED
        ]
        if len(wanted) < LISTING_THRESHOLD:
            return
        remote = {u.user_name.lower(): u for u in self.client.list_users()}
        for w in wanted:
            w.needed_lookup = False
            w.found = remote.get(_user_name(w.values or {}, self.mapping))

    def bulk_candidates(self, work: list[Work]) -> list[Work]:
        if not self.caps.bulk or self.caps.bulk_max_operations < 2:
            return []
        out = []
        for w in work:
            v = w.values
            if (
                v is not None
                and w.link.remote_id is None
                and not w.needed_lookup
                and w.found is None
                and in_scope(self.target, v)
                and v["status"] != Person.Status.DEACTIVATED
            ):
                out.append(w)
        return out if len(out) >= 2 else []

    def bulk_create(self, work: list[Work]) -> dict[int, Result | ScimError]:
        """Create users through Bulk within maxOperations and maxPayloadSize."""
        results: dict[int, Result | ScimError] = {}
        limit_ops = min(BULK_CHUNK, self.caps.bulk_max_operations)
        limit_bytes = int((self.caps.bulk_max_payload_size or 1_048_576) * 0.9)
        chunk: list[tuple[Work, dict[str, Any], dict[str, Any]]] = []
        size = 0

        def flush() -> None:
            if not chunk:
                return
            items = [(str(w.link.id), payload) for w, payload, _ in chunk]
            outcomes = {o.key: o for o in self.client.bulk_create(items)}
            for w, _payload, desired in chunk:
                needs_manager = bool(w.values and w.values["manager_id"]) and (
                    w.manager_remote_id is None
                )
                o = outcomes.get(str(w.link.id))
                if o is not None and o.status < 300 and o.remote_id:
                    results[w.link.id] = Result(
                        "created", o.remote_id, desired, needs_manager=needs_manager
                    )
                elif o is not None and o.status == 409:
                    try:
                        results[w.link.id] = self._create(w, desired, needs_manager, lookup=True)
                    except ScimError as exc:
                        results[w.link.id] = exc
                else:
                    status = o.status if o else None
                    message = o.error if o else "no result in the Bulk response"
                    transient = status is None or status in (408, 429) or status >= 500
                    results[w.link.id] = ScimError(
                        f"Bulk POST answered {status}: {message}",
                        status=status,
                        transient=transient,
                    )
            chunk.clear()

        for w in work:
            desired = desired_for(
                self.target, w.values or {}, w.manager_remote_id, active=True, mapping_=self.mapping
            )
            payload = mapping.to_resource(desired)
            n = len(json.dumps(payload)) + 100
            if chunk and (len(chunk) >= limit_ops or size + n > limit_bytes):
                flush()
                size = 0
            chunk.append((w, payload, desired))
            size += n
        flush()
        return results


# --- recording --------------------------------------------------------------


def _write_successes(done: list[tuple[Work, Result]], now: Any) -> None:
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


def _write_failure(w: Work, exc: ScimError, now: Any, *, permanent: bool) -> None:
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


def _release(ids: list[int]) -> None:
    if ids:
        ScimLink.objects.filter(id__in=ids).update(lease_until=None)


def _done() -> Any:
    """The run's people done so far, as a database expression (ScimRun.done)."""
    expression = F(COUNTERS[0])
    for name in COUNTERS[1:]:
        expression = expression + F(name)
    return expression


def _flush_run(run_id: int | None, outcome: PushOutcome, flushed: dict[str, int]) -> None:
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
        ScimRun.objects.filter(pk=run_id, total__lt=_done()).update(total=_done())
    flushed.update(outcome.counts)
    flushed["requests"] = outcome.requests


# --- the pass ---------------------------------------------------------------


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
    run_id = run_id or _changes_run_id(target)
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
            stop = _push_batch(target, engine, _load(target, claimed), outcome)
            outcome.requests = client.requests_sent
            _flush_run(run_id, outcome, flushed)
            if stop:
                break
    finally:
        outcome.requests = client.requests_sent
        _flush_run(run_id, outcome, flushed)
        if own_client:
            client.close()
    _maybe_finish_runs(target)
    return outcome


def _push_batch(
    target: ScimTarget, engine: PushEngine, work: list[Work], outcome: PushOutcome
) -> bool:
    """Process one claimed batch; return True when the pass must stop."""
    remaining = {w.link.id for w in work}
    done: list[tuple[Work, Result]] = []
    lease_start = time.monotonic()

    def flush() -> None:
        sent = any(r.sent for _, r in done)
        _write_successes(done, timezone.now())
        if sent:
            _record_success(target)

    try:
        try:
            engine.look_up_by_listing(work)
        except ScimError as exc:
            return _stop(target, exc, outcome)
        bulk = engine.bulk_candidates(work)
        bulk_results: dict[int, Result | ScimError] = {}
        if bulk:
            try:
                bulk_results = engine.bulk_create(bulk)
            except ScimError as exc:
                if exc.transient:
                    return _stop(target, exc, outcome)
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
                    _release([w.link.id])
                    return _stop(target, exc, outcome)
                _write_failure(w, exc, timezone.now(), permanent=not exc.transient)
                outcome.add("failed")
                logger.warning(
                    "SCIM push to %s failed for person #%s: %s",
                    target.name,
                    w.link.person_ref,
                    exc.message,
                )
                if exc.transient:
                    return _stop(target, exc, outcome)
                _record_failure(target, exc.message, wait=0, transient=False)
                if target.is_paused:
                    return True
                continue
            remaining.discard(w.link.id)
            done.append((w, result))
            outcome.add(result.counter)
        return False
    finally:
        flush()
        _release(list(remaining))


def _stop(target: ScimTarget, exc: ScimError, outcome: PushOutcome) -> bool:
    if exc.status in (429, 503) and exc.retry_after is not None:
        outcome.retry_in = _throttled(target, exc.message, exc.retry_after)
    else:
        outcome.retry_in = _record_failure(target, exc.message, wait=None)
    outcome.stopped = exc.message
    return True


def _changes_run_id(target: ScimTarget) -> int | None:
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
            status=ScimRun.Status.RUNNING, finished_at=None, total=_done() + pending
        )
        return run
    if not pending:
        return None
    return ScimRun.objects.create(target=target, kind=ScimRun.Kind.CHANGES, total=pending).pk


def _maybe_finish_runs(target: ScimTarget) -> None:
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


# --- full sync, reconcile, dry run ------------------------------------------

REPORT_LIMIT = 500


def _user_name(values: dict[str, Any], mapping_: dict[str, str]) -> str:
    state = mapping.desired_state(
        values, mapping={"userName": mapping_["userName"]}, manager_remote_id=None, active=True
    )
    return str(state.get("userName", "")).lower()


def survey(target: ScimTarget, client: ScimClient, *, apply: bool) -> dict[str, Any]:
    """Compare every remote user (one paged listing) with Roster's links.

    Returns a drift report. With ``apply``, re-points the links at what the
    target really holds (adopting remote users that match by userName,
    forgetting remote ids that vanished) and marks every link for a fresh
    comparison, so the next push sends exactly the differences.
    """
    ensure_links(target)
    mapping_ = mapping.effective_mapping(target.attribute_mapping)
    remote: dict[str, RemoteUser] = {}
    by_id: dict[str, RemoteUser] = {}
    for user in client.list_users():
        remote[user.user_name.lower()] = user
        by_id[user.id] = user
    links = list(
        ScimLink.objects.filter(target=target).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now())
        )
    )
    people = {
        row["id"]: row
        for row in Person.objects.filter(
            id__in=[lk.person_id for lk in links if lk.person_id]
        ).values(*PERSON_FIELDS)
    }
    remote_ids = {lk.person_id: lk.remote_id for lk in links if lk.remote_id and lk.person_id}
    report: dict[str, Any] = {
        "remote_users": len(by_id),
        "missing": [],
        "drifted": [],
        "unmanaged": [],
        "adopted": [],
        "orphaned": [],
    }
    claimed: set[str] = set()
    changed_links = []
    adopted = 0
    for link in links:
        values = people.get(link.person_id) if link.person_id else None
        if values is None:
            if link.remote_id:
                report["orphaned"].append({"person": link.person_ref, "remote_id": link.remote_id})
                claimed.add(link.remote_id)
            continue
        scoped = in_scope(target, values)
        active = scoped and values["status"] != Person.Status.DEACTIVATED
        user = by_id.get(link.remote_id or "")
        if user is None:
            user = remote.get(_user_name(values, mapping_))
            if user is not None and user.id not in claimed:
                adopted += 1
                report["adopted"].append({"person": values["email"], "remote_id": user.id})
            else:
                user = None
        if user is None:
            if active:
                report["missing"].append({"person": values["email"]})
            link.remote_id, link.snapshot, link.needs_lookup = None, {}, False
        else:
            claimed.add(user.id)
            manager = remote_ids.get(values["manager_id"]) if values["manager_id"] else None
            if active:
                desired = desired_for(target, values, manager, active=True, mapping_=mapping_)
            else:
                desired = {"active": False}
            snapshot = mapping.flatten(user.payload, set(desired) | {"active"})
            if target.deactivation == ScimTarget.Deactivation.DELETE and not active:
                differs = ["exists"]
            elif active:
                differs = mapping.diff(snapshot, desired)
            else:
                differs = ["active"] if snapshot.get("active") is not False else []
            if differs:
                report["drifted"].append({"person": values["email"], "attributes": differs})
            link.remote_id, link.snapshot, link.needs_lookup = user.id, snapshot, False
        link.synced_version = 0
        changed_links.append(link)
    report["unmanaged"] = [
        {"userName": u.user_name, "remote_id": u.id} for u in by_id.values() if u.id not in claimed
    ]
    counts = {k: len(v) for k, v in report.items() if isinstance(v, list)}
    for key in ("missing", "drifted", "unmanaged", "adopted", "orphaned"):
        report[key] = report[key][:REPORT_LIMIT]
    report["counts"] = counts
    if apply:
        absent = [lk.pk for lk in changed_links if lk.remote_id is None]
        present = [lk for lk in changed_links if lk.remote_id is not None]
        with transaction.atomic():
            for start in range(0, len(absent), 5000):
                ScimLink.objects.filter(pk__in=absent[start : start + 5000]).update(
                    remote_id=None, snapshot={}, needs_lookup=False, synced_version=0
                )
            ScimLink.objects.bulk_update(
                present,
                ["remote_id", "snapshot", "needs_lookup", "synced_version"],
                batch_size=500,
            )
    report["adopted_count"] = adopted
    return report


def sync_target(target_id: int, *, run_id: int, client: ScimClient | None = None) -> int:
    """Run the listing and matching step of a full sync; return how many links to push.

    The push itself is ``push_pending`` (called by the caller, possibly by
    several workers at once).
    """
    target = ScimTarget.objects.get(pk=target_id)
    own_client = client is None
    client = client or client_for(target)
    try:
        if not target.capabilities:
            caps = client.discover()
            ScimTarget.objects.filter(pk=target.pk).update(
                capabilities=caps.to_dict(), capabilities_checked_at=timezone.now()
            )
        report = survey(target, client, apply=True)
        total = pending_links(target).count()
        # A remote user adopted by the listing is one step done, and its link
        # is then pushed (updated or unchanged) as another: both are counted.
        ScimRun.objects.filter(pk=run_id).update(
            total=total + report["adopted_count"],
            adopted=report["adopted_count"],
            requests=F("requests") + client.requests_sent,
            report={"counts": report["counts"]},
        )
        return total
    except ScimError as exc:
        ScimRun.objects.filter(pk=run_id).update(
            status=ScimRun.Status.FAILED, finished_at=timezone.now(), message=exc.message
        )
        raise
    finally:
        if own_client:
            client.close()


def reconcile_target(target_id: int, *, run_id: int, fix: bool) -> dict[str, Any]:
    """Report drift between the target and Roster; with ``fix``, mark it for pushing."""
    target = ScimTarget.objects.get(pk=target_id)
    with client_for(target) as client:
        try:
            report = survey(target, client, apply=fix)
        except ScimError as exc:
            ScimRun.objects.filter(pk=run_id).update(
                status=ScimRun.Status.FAILED, finished_at=timezone.now(), message=exc.message
            )
            raise
        counts = report["counts"]
        ScimRun.objects.filter(pk=run_id).update(
            status=ScimRun.Status.FINISHED,
            finished_at=timezone.now(),
            report=report,
            requests=client.requests_sent,
            total=report["remote_users"],
            message=(
                f"{counts['missing']} missing, {counts['drifted']} drifted, "
                f"{counts['unmanaged']} not managed by Roster, "
                f"{counts['orphaned']} left by deleted people."
            ),
        )
    return report


def plan_requests(target: ScimTarget, *, limit: int = REPORT_LIMIT) -> dict[str, Any]:
    """Return the requests a push would send now, without sending anything.

    Based on what Roster last confirmed with the target; a create of a
    person who may already exist remotely is preceded by its lookup.
    """
    mapping_ = mapping.effective_mapping(target.attribute_mapping)
    caps = Capabilities.from_dict(target.capabilities) if target.capabilities else Capabilities()
    users = caps.users_endpoint
    requests: list[dict[str, Any]] = []
    total = 0
    # What the push would record for each person, as a run counts it.
    counts = dict.fromkeys(COUNTERS, 0)
    scoped_without_link = people_in_scope(target).exclude(
        Exists(ScimLink.objects.filter(target=target, person_ref=OuterRef("pk")))
    )
    new_links = [
        ScimLink(target=target, person_id=row["id"], person_ref=row["id"])
        for row in scoped_without_link.values("id")
    ]
    links = new_links + list(pending_links(target).order_by("id"))
    people = {
        row["id"]: row
        for row in Person.objects.filter(
            id__in=[lk.person_id for lk in links if lk.person_id]
        ).values(*PERSON_FIELDS)
    }
    manager_ids = {p["manager_id"] for p in people.values() if p["manager_id"]}
    managers = dict(
        ScimLink.objects.filter(
            target=target, person_id__in=manager_ids, remote_id__isnull=False
        ).values_list("person_id", "remote_id")
    )

    def add(method: str, path: str, body: Any = None, person: Any = None) -> None:
        nonlocal total
        total += 1
        if len(requests) < limit:
            requests.append({"method": method, "path": path, "body": body, "person": person})

    for link in links:
        counts[_plan_link(target, link, people, managers, caps, mapping_, users, add)] += 1
    return {"total": total, "requests": requests, "people": len(links), "counts": counts}


def _plan_link(
    target: ScimTarget,
    link: ScimLink,
    people: dict[int, dict[str, Any]],
    managers: dict[int, str],
    caps: Capabilities,
    mapping_: dict[str, str],
    users: str,
    add: Any,
) -> str:
    """Add the requests a push of ``link`` would send; return the counter it would bump."""
    values = people.get(link.person_id) if link.person_id else None
    if values is None:
        if link.remote_id:
            add("DELETE", f"{users}/{link.remote_id}", person=f"#{link.person_ref}")
            return "deleted"
        return "unchanged"
    who = values["email"]
    active = in_scope(target, values) and values["status"] != Person.Status.DEACTIVATED
    manager = managers.get(values["manager_id"]) if values["manager_id"] else None
    if not active:
        if link.remote_id is None:
            return "unchanged"
        if target.deactivation == ScimTarget.Deactivation.DELETE:
            add("DELETE", f"{users}/{link.remote_id}", person=who)
            return "deleted"
        if link.snapshot.get("active") is not False:
            ops = [{"op": "replace", "path": "active", "value": False}]
            add("PATCH", f"{users}/{link.remote_id}", {"Operations": ops}, who)
            return "deactivated"
        return "unchanged"
    desired = desired_for(target, values, manager, active=True, mapping_=mapping_)
    if link.remote_id is None:
        if link.needs_lookup:
            flt = f'userName eq "{desired.get("userName", "")}"'
            add("GET", f"{users}?filter={flt}", person=who)
        add("POST", users, mapping.to_resource(desired), who)
        return "created"
    changed = mapping.diff(link.snapshot, desired)
    if not changed:
        return "unchanged"
    if caps.patch:
        body = {"Operations": mapping.patch_operations(desired, changed)}
        add("PATCH", f"{users}/{link.remote_id}", body, who)
    else:
        add("PUT", f"{users}/{link.remote_id}", mapping.to_resource(desired), who)
    return "updated"
