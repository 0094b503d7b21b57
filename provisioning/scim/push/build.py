"""Building requests: the state Roster wants a target to hold, and the dry run of a push.

``desired_for`` turns a person's fields into the flat SCIM state the target
should hold (see ``provisioning.scim.mapping``); ``plan_requests`` lists the
requests a push would send now, from what Roster last confirmed, and sends
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef

from accounts.models import Person
from provisioning.scim import mapping
from provisioning.scim.client import Capabilities
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.push.outbox import in_scope, pending_links, people_in_scope
from provisioning.scim.push.runs import REPORT_LIMIT
from provisioning.scim.push.work import COUNTERS, PERSON_FIELDS


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


def user_name(values: dict[str, Any], mapping_: dict[str, str]) -> str:
    """Return the person's userName on the target, lowercased for matching."""
    state = mapping.desired_state(
        values, mapping={"userName": mapping_["userName"]}, manager_remote_id=None, active=True
    )
    return str(state.get("userName", "")).lower()


# --- dry run ----------------------------------------------------------------


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
    managers: dict[int, str | None],
    caps: Capabilities,
    mapping_: dict[str, str],
    users: str,
    add: Callable[..., None],
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
