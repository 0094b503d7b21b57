"""Full sync and reconcile: list every remote user once and match them with Roster's links.

``survey`` compares the target's users with the links and reports drift;
applied, it re-points the links at what the target really holds, so the
push that follows (``push_pending``) sends exactly the differences. A full
sync (``sync_target``) is that step before a push of everyone in scope; a
reconcile (``reconcile_target``) reports, and with ``fix`` applies.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Person
from provisioning.scim import mapping
from provisioning.scim.client import RemoteUser, ScimClient, ScimError
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push.build import desired_for, user_name
from provisioning.scim.push.connect import client_for
from provisioning.scim.push.outbox import ensure_links, in_scope, pending_links
from provisioning.scim.push.runs import REPORT_LIMIT
from provisioning.scim.push.work import PERSON_FIELDS


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
    for listed in client.list_users():
        remote[listed.user_name.lower()] = listed
        by_id[listed.id] = listed
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
        user: RemoteUser | None = by_id.get(link.remote_id or "")
        if user is None:
            user = remote.get(user_name(values, mapping_))
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
