"""How many group members one PATCH (or the creating POST) carries, per target.

An administrator may set "Members per request"; otherwise the size is
derived from what the target advertised in /ServiceProviderConfig: each
request stays well under ``bulk.maxPayloadSize`` (a target that states a
payload limit for Bulk is unlikely to take a larger PATCH) and carries no
more members than ``bulk.maxOperations``, within ``ROSTER_SCIM_GROUP_BATCH``.
A target that answers 413 Payload Too Large (or says the request has too
many members or operations) is sent the same changes again, half as many at
a time; the size it then accepted is kept on the target for later passes.
A refusal that persists down to one member was about something else: it is
reported as it is, and nothing is remembered.
"""

from __future__ import annotations

import re

from django.conf import settings

from provisioning.scim.client import ScimError
from provisioning.scim.models import ScimTarget

DEFAULT_BATCH = 1000
MAX_BATCH = 10000
# The largest member change in a PATCH body, in bytes: a remove operation,
# {"op": "remove", "path": "members[value eq \"<id>\"]"}, with room for ids
# longer than a UUID.
BYTES_PER_MEMBER = 120
# The envelope (schemas, Operations, a displayName) and headroom under the limit.
ENVELOPE_BYTES = 1024
PAYLOAD_SHARE = 0.8
# How targets word a refusal of too many members in a 400 (the 413 is plain).
_TOO_MANY = re.compile(r"too\s*many|too\s*large|exceeds?\b|\bmaximum\s+number", re.IGNORECASE)


def default_batch() -> int:
    """Return the automatic size's ceiling (``ROSTER_SCIM_GROUP_BATCH``, 1 to 10,000)."""
    configured = int(getattr(settings, "ROSTER_SCIM_GROUP_BATCH", DEFAULT_BATCH))
    return max(1, min(MAX_BATCH, configured))


def advertised_batch(capabilities: dict | None) -> int:
    """Return the members per request that fit what a target advertised."""
    size = default_batch()
    caps = capabilities or {}
    payload = int(caps.get("bulk_max_payload_size") or 0)
    if payload > 0:
        room = int(payload * PAYLOAD_SHARE) - ENVELOPE_BYTES
        size = min(size, max(1, room // BYTES_PER_MEMBER))
    operations = int(caps.get("bulk_max_operations") or 0)
    if operations > 0:
        size = min(size, operations)
    return size


def effective_batch(target: ScimTarget) -> int:
    """Return the members one request to ``target`` carries now."""
    size = target.group_batch_size or advertised_batch(target.capabilities)
    if target.group_batch_learned:
        size = min(size, target.group_batch_learned)
    return max(1, size)


def batch_source(target: ScimTarget) -> str:
    """Say where the effective size comes from, for the target page."""
    size = effective_batch(target)
    if target.group_batch_learned and target.group_batch_learned <= (
        target.group_batch_size or advertised_batch(target.capabilities)
    ):
        return f"{size} (halved after the target refused a larger request)"
    if target.group_batch_size:
        return f"{size} (set on this page)"
    if target.capabilities:
        return f"{size} (automatic, from what the target advertises)"
    return f"{size} (automatic; Test connection reads the target's limits)"


def is_too_large(exc: ScimError) -> bool:
    """Tell whether the target refused a request for carrying too much."""
    if exc.status == 413:
        return True
    return exc.status == 400 and bool(_TOO_MANY.search(exc.message))


def remember_batch(target: ScimTarget, size: int) -> None:
    """Keep ``size`` as the most members the target accepts (only ever lowered)."""
    ScimTarget.objects.filter(pk=target.pk).exclude(group_batch_learned__lte=size).update(
        group_batch_learned=size
    )
    target.group_batch_learned = min(size, target.group_batch_learned or size)
