"""Group members go to each target in batches it accepts: set, advertised, or learnt from 413."""

from __future__ import annotations

import uuid

import httpx
import pytest
from django.urls import reverse

from accounts.groups import services as groups
from provisioning.scim import services
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.group_batch import advertised_batch, effective_batch
from provisioning.scim.group_models import ScimGroupLink
from provisioning.scim.groups_push import push_groups
from provisioning.scim.models import ScimTarget
from provisioning.scim.tasks import sync_target_task
from tests.factories import PersonFactory
from tests.provisioning.scim.test_secret_hosts import form

pytestmark = pytest.mark.django_db


def remote_group(url: str, name: str) -> dict:
    body = httpx.get(f"{url}/Groups", params={"count": 1000}, timeout=30).json()
    [group] = [g for g in body.get("Resources", []) if g["displayName"] == name]
    return group


def enabled(target: ScimTarget, actor) -> ScimTarget:
    run = services.enable_target(target, by=actor)
    sync_target_task(target.pk, run.pk)
    target.refresh_from_db()
    return target


def group_requests(proxy) -> list[tuple[str, int]]:
    return [(method, status) for method, path, status in proxy.seen if "/Groups" in path]


@pytest.mark.parametrize(
    ("capabilities", "size"),
    [
        ({}, 1000),
        ({"bulk_max_operations": 1000, "bulk_max_payload_size": 1048576}, 1000),
        # 80% of 64 KiB, less 1 KiB of envelope, at 120 bytes a member.
        ({"bulk_max_payload_size": 65536}, 428),
        ({"bulk_max_operations": 100}, 100),
        ({"bulk_max_payload_size": 100}, 1),
    ],
)
def test_the_automatic_size_fits_what_the_target_advertises(capabilities, size):
    assert advertised_batch(capabilities) == size


def test_the_size_set_on_the_target_wins_and_a_learnt_one_caps_it(db):
    target = ScimTarget(capabilities={"bulk_max_operations": 1000}, group_batch_size=300)
    assert effective_batch(target) == 300
    target.group_batch_learned = 150
    assert effective_batch(target) == 150
    target.group_batch_size = None
    assert effective_batch(target) == 150


def test_members_per_request_set_on_the_page_is_used_against_scim2_server(
    make_target, tenant, actor, admin_client
):
    members = [PersonFactory() for _ in range(35)]
    target = enabled(make_target(tenant, push_groups=True), actor)
    page = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
    assert "Members per request: 1000 (automatic, from what the target advertises)" in (
        admin_client.get(page).content.decode()
    )
    response = admin_client.post(page, form(target, push_groups="on", group_batch_size="10"))
    assert response.status_code == 302
    groups.create_group(name="Many", member_ids=[p.pk for p in members], by=actor)

    outcome = push_groups(target.pk)

    assert (outcome.created, outcome.requests) == (1, 4)  # POST with 10, then 3 PATCHes
    assert len(remote_group(tenant, "Many")["members"]) == 35
    assert "Members per request: 10 (set on this page)" in admin_client.get(page).content.decode()


def test_a_bad_members_per_request_is_refused_and_changes_nothing(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    page = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
    response = admin_client.post(page, form(target, group_batch_size="0"))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    target.refresh_from_db()
    assert target.group_batch_size is None
    with pytest.raises(InvalidTarget) as refused:
        services.update_target(target, by=admin_user, group_batch_size=20000)
    assert refused.value.errors == {
        "group_batch_size": "Members per request is a whole number from 1 to 10000, "
        "or empty for automatic."
    }


@pytest.mark.parametrize("status", [413, 400])
def test_a_refused_batch_is_halved_remembered_and_no_member_is_lost_or_sent_twice(
    make_target, proxy, actor, admin_client, status
):
    url = proxy.url(f"b{uuid.uuid4().hex[:10]}")
    members = [PersonFactory() for _ in range(250)]
    target = enabled(make_target(url, push_groups=True), actor)
    assert effective_batch(target) == 1000
    group = groups.create_group(name="Big", member_ids=[p.pk for p in members], by=actor)
    proxy.member_limit, proxy.member_limit_status = 100, status
    proxy.seen.clear()

    outcome = push_groups(target.pk)

    # 250 and 125 refused; 62 accepted, then the other 188 in PATCHes of 62.
    assert group_requests(proxy) == [
        ("POST", status),
        ("POST", status),
        ("POST", 201),
        ("PATCH", 204),
        ("PATCH", 204),
        ("PATCH", 204),
        ("PATCH", 204),
    ]
    assert (outcome.created, outcome.failed) == (1, 0)
    remote_ids = [m["value"] for m in remote_group(url, "Big")["members"]]
    assert len(remote_ids) == len(set(remote_ids)) == 250
    link = ScimGroupLink.objects.get(target=target)
    assert link.members == sorted(p.pk for p in members)
    assert link.synced_version == group.version
    target.refresh_from_db()
    assert (target.group_batch_learned, effective_batch(target)) == (62, 62)
    page = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
    assert "Members per request: 62 (halved after the target refused a larger request)" in (
        admin_client.get(page).content.decode()
    )

    # The next change starts at the size that worked; nothing is pending.
    assert push_groups(target.pk).requests == 0
    newcomers = [PersonFactory() for _ in range(70)]
    run = services.start_sync(target, by=actor)
    sync_target_task(target.pk, run.pk)
    groups.set_members(group, [p.pk for p in members + newcomers], by=actor)
    proxy.seen.clear()
    push_groups(target.pk)
    assert group_requests(proxy) == [("PATCH", 204), ("PATCH", 204)]  # 62 + 8
    assert len(remote_group(url, "Big")["members"]) == 320


def test_a_400_about_something_else_is_not_mistaken_for_a_size_limit(make_target, proxy, actor):
    url = proxy.url(f"c{uuid.uuid4().hex[:10]}")
    members = [PersonFactory() for _ in range(5)]
    target = enabled(make_target(url, push_groups=True), actor)
    groups.create_group(name="Small", member_ids=[p.pk for p in members], by=actor)
    proxy.add(method="POST", path="/Groups", status=400)

    outcome = push_groups(target.pk)

    assert outcome.failed == 1
    target.refresh_from_db()
    assert target.group_batch_learned is None
    link = ScimGroupLink.objects.get(target=target)
    assert "injected 400" in link.last_error
    assert [s for _m, p, s in proxy.seen if "/Groups" in p] == [400]


def test_changing_members_per_request_forgets_the_learnt_size(admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    ScimTarget.objects.filter(pk=target.pk).update(group_batch_learned=50)
    target.refresh_from_db()
    services.update_target(target, by=admin_user, group_batch_size=80)
    target.refresh_from_db()
    assert (target.group_batch_size, target.group_batch_learned) == (80, None)
    assert effective_batch(target) == 80


def test_a_refusal_that_persists_down_to_one_member_is_reported_and_not_remembered(
    make_target, proxy, actor
):
    url = proxy.url(f"d{uuid.uuid4().hex[:10]}")
    members = [PersonFactory() for _ in range(5)]
    target = enabled(make_target(url, push_groups=True), actor)
    groups.create_group(name="Odd", member_ids=[p.pk for p in members], by=actor)
    proxy.member_limit, proxy.member_limit_status = 0, 400
    proxy.seen.clear()

    outcome = push_groups(target.pk)

    assert group_requests(proxy) == [("POST", 400)] * 3  # 5, 2, then 1 member
    assert (outcome.created, outcome.failed) == (0, 1)
    target.refresh_from_db()
    assert target.group_batch_learned is None
    link = ScimGroupLink.objects.get(target=target)
    assert "Too many members: at most 0." in link.last_error
    assert link.remote_id is None
