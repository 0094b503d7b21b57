"""An administrator builds a rule-based group in a real browser and it reaches scim2-server."""

from __future__ import annotations

import re

import httpx
import pytest

from accounts.actors import CLI
from accounts.models import Group
from provisioning.scim import services
from provisioning.scim.tasks import push_target_task, sync_target_task
from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import (  # noqa: F401  (fixtures)
    remote_users,
    scim_server,
    tenant,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rule_based_group_is_previewed_saved_and_pushed_with_its_members(
    page,
    live_server,
    tenant,  # noqa: F811
):
    PersonFactory(admin=True, email="admin@example.com", department="IT")
    PersonFactory(email="ada@example.com", full_name="Ada Lovelace", department="Engineering")
    PersonFactory(email="bob@example.com", full_name="Bob Builder", department="Engineering")
    PersonFactory(email="sal@example.com", full_name="Sal Seller", department="Sales")
    target = services.create_target(
        name="Downstream", base_url=tenant, by=CLI, rate_limit=1000, push_groups=True
    )
    run = services.enable_target(target, by=CLI)
    sync_target_task(target.pk, run.pk)

    _sign_in(page, live_server, "admin@example.com")
    page.goto(live_server.url + "/admin/accounts/group/add/")
    page.fill("#id_name", "Engineering")
    page.select_option("#id_kind", "rule")
    page.get_by_role("button", name="Add condition").click()
    page.select_option("#rule-0-attribute", "department")
    page.select_option("#rule-0-operator", "is")
    page.fill("#rule-0-value", "Engineering")
    summary = page.locator("#rule-live-summary")
    summary.filter(has_text="2 people match").wait_for()
    assert "2 would join, 0 would leave" in summary.inner_text()
    assert "Ada Lovelace" in page.locator("#rule-live-sample").inner_text()

    page.locator('[name="_save"]').click()
    page.wait_for_url(re.compile(r"/admin/accounts/group/$"))
    group = Group.objects.get(name="Engineering")
    assert sorted(group.members.values_list("email", flat=True)) == [
        "ada@example.com",
        "bob@example.com",
    ]

    page.goto(live_server.url + f"/admin/accounts/group/{group.pk}/change/")
    members = page.locator("#group-members")
    assert "Members (2)" in members.inner_text()
    assert "Nobody matches" not in members.inner_text()

    push_target_task(target.pk)
    remote = httpx.get(f"{tenant}/Groups", timeout=10).json()["Resources"]
    assert [g["displayName"] for g in remote] == ["Engineering"]
    by_id = {u["id"]: u["userName"] for u in remote_users(tenant)}
    assert sorted(by_id[m["value"]] for m in remote[0]["members"]) == [
        "ada@example.com",
        "bob@example.com",
    ]
