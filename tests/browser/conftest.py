"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Tests here use Django's ``live_server``, so they run with ``transaction=True``
and carry ``@pytest.mark.browser``. Every ``page`` fails its test if the page
logged a console error or threw an uncaught exception (a failed load, a 404
of any asset, a script error); nothing is ignored. A test that means to load
an error page (a 403, a 404) says so with ``page.expect_console_errors(...)``.

Pages open on a desktop (1440x900) unless a test asks for a phone
(390x844, touch): ``@pytest.mark.parametrize("page", VIEWPORT_NAMES,
indirect=True)`` runs it on both, ``indirect=["page"]`` with ``["phone"]``
on the phone only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; Django would
# otherwise refuse ORM calls made from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORTS: dict[str, dict[str, object]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
VIEWPORT_NAMES = list(VIEWPORTS)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    context = browser.new_context(**VIEWPORTS[getattr(request, "param", "desktop")])
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    expected: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            location = message.location or {}
            errors.append(f"console: {message.text} ({location.get('url', '?')})")

    def on_page_error(error) -> None:
        errors.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    # A test that loads an error page on purpose names what it expects.
    page.expect_console_errors = expected.extend
    yield page
    context.close()
    unexpected = [e for e in errors if not any(part in e for part in expected)]
    if unexpected:
        pytest.fail("The browser reported errors:\n" + "\n".join(unexpected), pytrace=False)
