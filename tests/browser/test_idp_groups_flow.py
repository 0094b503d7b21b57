"""An administrator chooses a Google Workspace source's groups in a real browser and
the dry run's page lists what would come in."""

from __future__ import annotations

import re

import pytest

from provisioning.idp.models import IdentitySource, SyncRun
from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory
from tests.provisioning.idp.directory import Directory
from tests.provisioning.idp.fake_google import FakeGoogle
from tests.provisioning.idp.test_sync import connect_google

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_google():
    server = FakeGoogle(Directory.generate(20)).start()
    yield server
    server.stop()


def test_administrator_picks_groups_by_search_and_the_dry_run_lists_them(
    page, live_server, fake_google
):
    admin = PersonFactory(admin=True, email="admin@example.com")
    fake_google.book.add("g-eng", "Engineering", email="eng@example.com", users={1, 2})
    fake_google.book.add("g-sales", "Sales team", email="sales@example.com", users={3})
    source = connect_google(fake_google, admin)

    _sign_in(page, live_server, "admin@example.com")
    page.goto(live_server.url + f"/admin/provisioning/identitysource/{source.pk}/change/")
    page.get_by_role("link", name="Choose groups").click()
    page.wait_for_url(re.compile(r"/groups/$"))
    assert "Sales team" in page.locator("#provider-groups").inner_text()
    page.fill("#group-search", "eng")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"\?q=eng"))
    rows = page.locator("#provider-groups tbody tr")
    assert rows.count() == 1
    page.get_by_label("Engineering").check()
    page.get_by_label("These groups").check()
    page.get_by_role("button", name="Save groups").click()
    page.wait_for_url(re.compile(r"/change/$"))
    assert "These groups (1 chosen)" in page.content()

    source.refresh_from_db()
    assert (source.group_scope, source.group_keys) == ("chosen", ["g-eng"])
    page.get_by_role("link", name="Dry run").click()
    page.get_by_role("button", name="Dry run").click()
    page.wait_for_url(re.compile(r"/syncrun/\d+/change/$"))
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.DRY_RUN
    assert "2 joining, 0 leaving" in page.content()
    assert "Sales team" not in page.content()
    assert IdentitySource.objects.get().group_scope == "chosen"
