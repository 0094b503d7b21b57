"""Claiming: lease a batch of pending links with SKIP LOCKED, then load what they need.

Workers claim pending links in batches with ``SELECT … FOR UPDATE SKIP
LOCKED`` and a short lease, so any number of them share a target's outbox
without pushing a link twice; a lease a dead worker left runs out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Person
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.push.outbox import pending_links
from provisioning.scim.push.work import PERSON_FIELDS, Work


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


def load_claimed(target: ScimTarget, claimed: list[tuple[int, bool]]) -> list[Work]:
    """Read the claimed links with their people and managers' remote ids, in three queries."""
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
