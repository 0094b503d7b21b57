"""Many users at once: one listing instead of many lookups, and creates through SCIM Bulk.

Both serve large batches (an initial sync, or a batch a dead worker left
with every create marked for lookup). Bulk is used only where the target
advertises it, within its maxOperations and maxPayloadSize.
"""

from __future__ import annotations

import json
from typing import Any

from accounts.models import Person
from provisioning.scim import mapping
from provisioning.scim.client import ScimError
from provisioning.scim.push.build import desired_for, user_name
from provisioning.scim.push.outbox import in_scope
from provisioning.scim.push.send import PushEngine
from provisioning.scim.push.work import Result, Work

BULK_CHUNK = 200
# From this many possibly existing users in a batch, one listing beats filters.
LISTING_THRESHOLD = 20


def look_up_by_listing(engine: PushEngine, work: list[Work]) -> None:
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
        and in_scope(engine.target, w.values)
        and w.values["status"] != Person.Status.DEACTIVATED
    ]
    if len(wanted) < LISTING_THRESHOLD:
        return
    remote = {u.user_name.lower(): u for u in engine.client.list_users()}
    for w in wanted:
        w.needed_lookup = False
        w.found = remote.get(user_name(w.values or {}, engine.mapping))


def bulk_candidates(engine: PushEngine, work: list[Work]) -> list[Work]:
    """Return the links of the batch to create through Bulk (none below two)."""
    if not engine.caps.bulk or engine.caps.bulk_max_operations < 2:
        return []
    out = []
    for w in work:
        v = w.values
        if (
            v is not None
            and w.link.remote_id is None
            and not w.needed_lookup
            and w.found is None
            and in_scope(engine.target, v)
            and v["status"] != Person.Status.DEACTIVATED
        ):
            out.append(w)
    return out if len(out) >= 2 else []


def bulk_create(engine: PushEngine, work: list[Work]) -> dict[int, Result | ScimError]:
    """Create users through Bulk within maxOperations and maxPayloadSize.

    Returns, per link id, the result or the error of its operation; a 409
    falls back to looking the user up and adopting it.
    """
    caps = engine.caps
    results: dict[int, Result | ScimError] = {}
    limit_ops = min(BULK_CHUNK, caps.bulk_max_operations)
    limit_bytes = int((caps.bulk_max_payload_size or 1_048_576) * 0.9)
    chunk: list[tuple[Work, dict[str, Any], dict[str, Any]]] = []
    size = 0

    def flush() -> None:
        if not chunk:
            return
        items = [(str(w.link.id), payload) for w, payload, _ in chunk]
        outcomes = {o.key: o for o in engine.client.bulk_create(items)}
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
                    results[w.link.id] = engine.create(w, desired, needs_manager, lookup=True)
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
            engine.target, w.values or {}, w.manager_remote_id, active=True, mapping_=engine.mapping
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
