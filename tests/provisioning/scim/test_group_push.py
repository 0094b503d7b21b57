"""Groups and their members pushed to a real scim2-server."""

from __future__ import annotations

import httpx
import pytest

from accounts import services as people
from accounts.groups import services as groups
from accounts.models import Person
from provisioning.scim import push, services
from provisioning.scim.group_models import ScimGroupLink
from provisioning.scim.groups_push import push_groups
from provisioning.scim.tasks import push_target_task, sync_target_task
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import remote_users

pytestmark = pytest.mark.django_db


def enable(target, actor) -> None:
    run = services.enable_target(target, by=actor)
    sync_target_task(target.pk, run.pk)


def remote_groups(url: str) -> dict[str, dict]:
    body = httpx.get(f"{url}/Groups", params={"count": 1000}, timeout=30).json()
    return {g["displayName"]: g for g in body.get("Resources", [])}


def remote_member_names(url: str, group: dict) -> list[str]:
    by_id = {u["id"]: u["userName"] for u in remote_users(url)}
    return sorted(by_id[m["value"]] for m in group.get("members") or [])


def test_a_group_arrives_after_its_members_with_them(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    bob = PersonFactory(email="bob@example.com")
    groups.create_group(name="Engineering", member_ids=[ada.pk, bob.pk], by=actor)
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    push_target_task(target.pk)
    found = remote_groups(tenant)
    assert list(found) == ["Engineering"]
    assert remote_member_names(tenant, found["Engineering"]) == [
        "ada@example.com",
        "bob@example.com",
    ]
    # A second pass finds nothing to do.
    assert push_groups(target.pk).requests == 0


def test_member_changes_are_patched_and_a_deleted_group_is_deleted(make_target, tenant, actor):
    ada, bob, cy = (PersonFactory(email=f"{n}@example.com") for n in ("ada", "bob", "cy"))
    group = groups.create_group(name="Team", member_ids=[ada.pk, bob.pk], by=actor)
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    push_target_task(target.pk)
    groups.set_members(group, [bob.pk, cy.pk], by=actor)
    groups.update_group(group, name="Team B", by=actor)
    outcome = push_groups(target.pk)
    assert outcome.requests == 2  # rename, then one PATCH adding cy and removing ada
    found = remote_groups(tenant)
    assert remote_member_names(tenant, found["Team B"]) == ["bob@example.com", "cy@example.com"]
    groups.delete_group(group, by=actor)
    push_groups(target.pk)
    assert remote_groups(tenant) == {}
    assert not ScimGroupLink.objects.exists()


def test_large_groups_are_sent_in_batches(make_target, tenant, actor, settings):
    settings.ROSTER_SCIM_GROUP_BATCH = 10
    members = [PersonFactory() for _ in range(35)]
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    groups.create_group(name="Many", member_ids=[p.pk for p in members], by=actor)
    outcome = push_groups(target.pk)
    assert (outcome.created, outcome.requests) == (1, 4)  # POST with 10, then 3 PATCHes
    assert len(remote_groups(tenant)["Many"]["members"]) == 35


def test_members_not_yet_on_the_target_wait_and_follow(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    late = people.create_person(email="late@example.com", by=actor)
    group = groups.create_group(name="Team", member_ids=[ada.pk, late.pk], by=actor)
    outcome = push_groups(target.pk)
    assert outcome.waiting_members == 1
    link = ScimGroupLink.objects.get()
    assert link.synced_version < group.version
    push_target_task(target.pk)  # pushes "late", then the group again
    assert remote_member_names(tenant, remote_groups(tenant)["Team"]) == [
        "ada@example.com",
        "late@example.com",
    ]
    link.refresh_from_db()
    group.refresh_from_db()
    assert link.synced_version == group.version


def test_a_conflict_adopts_the_remote_group_by_display_name(make_target, proxy, scim_server, actor):
    import uuid

    from provisioning.scim.models import ScimTarget

    name = f"g{uuid.uuid4().hex[:10]}"
    upstream = f"{scim_server}/{name}/v2"
    ada, _bob = PersonFactory(email="ada@example.com"), PersonFactory(email="bob@example.com")
    target = make_target(proxy.url(name), push_groups=True)
    enable(target, actor)
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)
    # The target already holds "Ops" with bob (created by someone else).
    bob_remote = next(u["id"] for u in remote_users(upstream) if u["userName"] == "bob@example.com")
    httpx.post(
        f"{upstream}/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Ops",
            "members": [{"value": bob_remote}],
        },
        timeout=10,
    ).raise_for_status()
    groups.create_group(name="Ops", member_ids=[ada.pk], by=actor)
    proxy.add(method="POST", path="/Groups", status=409)
    outcome = push_groups(target.pk)
    assert (outcome.created, outcome.adopted) == (0, 1)
    found = remote_groups(upstream)
    assert list(found) == ["Ops"]
    # Adopted, then brought in line: ada added, bob (not a member in Roster) removed.
    assert remote_member_names(upstream, found["Ops"]) == ["ada@example.com"]


def test_groups_are_not_pushed_unless_the_target_asks(make_target, tenant, actor):
    PersonFactory()
    groups.create_group(name="Team", by=actor)
    target = make_target(tenant)
    enable(target, actor)
    push_target_task(target.pk)
    assert remote_groups(tenant) == {}


def test_a_deactivated_member_is_pushed_as_inactive(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    people.deactivate_person(ada, by=actor)
    groups.create_group(name="Alumni", member_ids=[ada.pk], by=actor)
    push_target_task(target.pk)
    user = next(u for u in remote_users(tenant) if u["userName"] == "ada@example.com")
    assert user["active"] is False
    assert remote_member_names(tenant, remote_groups(tenant)["Alumni"]) == ["ada@example.com"]
    assert Person.objects.get(pk=ada.pk).status == Person.Status.DEACTIVATED
    assert push.pending_links(target).count() == 0


def test_dry_run_lists_group_requests_and_sends_nothing(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant, push_groups=True)
    enable(target, actor)
    groups.create_group(name="Team", member_ids=[ada.pk], by=actor)
    run = services.dry_run(target, by=actor)
    group_requests = [r for r in run.report["requests"] if r["person"] == "group"]
    ada_remote = next(u["id"] for u in remote_users(tenant))
    assert group_requests == [
        {
            "method": "POST",
            "path": "/Groups",
            "body": {"displayName": "Team", "members": [{"value": ada_remote}]},
            "person": "group",
        }
    ]
    assert run.report["group_requests"] == 1
    assert remote_groups(tenant) == {}
    assert not ScimGroupLink.objects.exists()
