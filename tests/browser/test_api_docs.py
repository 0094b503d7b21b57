"""The API docs load everything from Roster itself: no font, script or image from elsewhere."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("path", "ready"), [("/api/docs/", ".swagger-ui .info"), ("/api/redoc/", ".api-content")]
)
def test_api_docs_request_nothing_from_another_host(page, live_server, path, ready):
    PersonFactory(admin=True, email="admin@example.com")
    page.goto(live_server.url + "/admin/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', "admin@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failed: list[tuple[str, str | None]] = []
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    # Redoc's bundle names its logo on cdn.redoc.ly; the policy blocks it
    # before any request leaves the machine, and the browser logs that.
    page.expect_console_errors(["https://cdn.redoc.ly/"])
    page.goto(live_server.url + path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")

    own = urlsplit(live_server.url).netloc
    assert any(url.endswith("/api/schema/") for url in requested), requested
    # Redoc's sidebar logo is refused by the page's policy inside the browser
    # ("csp"), so it never reaches the network.
    blocked = {url for url, reason in failed if reason == "csp"}
    outside = [url for url in requested if urlsplit(url).netloc not in (own, "")]
    assert [url for url in outside if url not in blocked] == []
