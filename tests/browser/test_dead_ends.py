"""Pages that refuse something still say what to do next, in a real browser."""

from __future__ import annotations

import re

import pytest

from accounts import services
from tests.accounts.invitations.test_claim import invite
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server.url + "/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")


@pytest.mark.parametrize(
    ("role", "path", "label", "offered"),
    [
        ("account_manager", "/admin/provisioning/scimtarget/", "Account manager", "People"),
        ("auditor", "/admin/accounts/person/add/", "Auditor", "Audit log"),
    ],
)
def test_a_refused_admin_page_keeps_the_admin_layout_and_offers_other_pages(
    page, live_server, role, path, label, offered
):
    PersonFactory(email=f"{role}@example.com", **{role: True})
    _sign_in(page, live_server, f"{role}@example.com")

    page.expect_console_errors(["status of 403"])
    response = page.goto(live_server.url + path)

    assert response.status == 403
    box = page.locator("#permission-denied")
    assert f"Your role, {label}, does not cover this page" in box.inner_text()
    links = page.locator("#permitted-pages a")
    assert offered in links.all_inner_texts()
    # The admin's sidebar is there, so the way on is one click away.
    assert page.locator("#nav-sidebar, nav").first.is_visible()
    links.filter(has_text="People").first.click()
    page.wait_for_url(live_server.url + "/admin/accounts/person/")


def test_a_withdrawn_invitation_asks_for_the_administrator_not_a_new_link(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")
    invitee = PersonFactory(email="ann@example.com")
    token = invite(invitee, admin)
    services.deactivate_person(invitee, by=admin)

    page.expect_console_errors(["status of 410"])
    response = page.goto(f"{live_server.url}/invitation/{token}/")

    assert response.status == 410
    assert page.get_by_role("heading", name="This link is no longer valid").is_visible()
    assert "ask your administrator at Roster to invite you again" in page.inner_text("body")
    assert page.get_by_text("Send me a new link").count() == 0
