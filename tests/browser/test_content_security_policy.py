"""The pages work under the Content-Security-Policy: the browser blocks nothing."""

from __future__ import annotations

import pytest

from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = (
    "/admin/",
    "/admin/accounts/person/",
    "/admin/accounts/person/add/",
    "/admin/accounts/lifecycleevent/",
    "/admin/provisioning/scimtarget/add/",
    "/admin/provisioning/identitysource/add/",
    "/api/docs/",
    "/api/redoc/",
    "/accounts/password/change/",
)


def test_no_page_trips_the_policy(page, live_server):
    PersonFactory(admin=True, email="admin@example.com")
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )

    _sign_in(page, live_server, "admin@example.com")
    for path in PAGES:
        # Redoc's bundle names its logo on cdn.redoc.ly; the policy blocks it
        # before any request leaves the machine, and the browser logs that.
        page.expect_console_errors(["https://cdn.redoc.ly/"])
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert "Content-Security-Policy" in {k.title() for k in response.headers}, path

    # Redoc's page links Google's web fonts and its own logo elsewhere: blocked
    # on purpose (no third-party requests); the page works without them.
    assert [m for m in blocked if "/api/redoc/" not in m or "'https://" not in m] == []
    # Alpine.js ran: the admin's user menu opens.
    page.goto(live_server.url + "/admin/")
    assert page.evaluate("typeof window.Alpine") == "object"
