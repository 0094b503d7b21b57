"""On a phone (390x844) and a desktop (1440x900): an invited person claims
their account from the emailed link, and the Dashboard and Import pages fit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import claim_account, resend_invitation
from tests.accounts.invitations.test_claim import invite
from tests.browser.conftest import VIEWPORT_NAMES
from tests.browser.test_claim_flow import (  # noqa: F401 (a fixture)
    PASSPHRASE,
    _assert_claimed,
    _invite_and_send,
    mail_server,
)
from tests.browser.test_people_flow import _sign_in
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAP = 44


def _assert_fits(page) -> None:
    """The page scrolls only vertically: nothing is wider than the screen."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen"


def _assert_tappable(locator) -> None:
    for index in range(locator.count()):
        element = locator.nth(index)
        box = element.bounding_box()
        assert box is not None, element
        name = element.get_attribute("name") or element.inner_text()
        assert box["height"] >= TAP, f"{name!r} is {box['height']} px tall"
        assert box["width"] >= TAP, f"{name!r} is {box['width']} px wide"


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_invited_person_claims_account_on_a_phone(page, live_server, mail_server):  # noqa: F811
    ada = PersonFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", full_name=""
    )
    link = _invite_and_send(ada, mail_server)

    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Ada"
    _assert_fits(page)
    fields = page.locator("form input:not([type=hidden])")
    assert fields.count() == 5
    _assert_tappable(fields)
    _assert_tappable(page.get_by_role("button", name="Set up my account"))
    for name in ("First name", "Last name", "Choose a password", "Type the password again"):
        assert page.get_by_label(name, exact=True).is_visible(), name
    assert page.get_by_label("Email address").input_value() == "ada@example.com"
    # Inputs use 16 px text: smaller makes phones zoom in when one is focused.
    assert page.eval_on_selector("#id_password1", "e => getComputedStyle(e).fontSize") == "16px"

    page.get_by_label("Last name").fill("King")
    page.get_by_label("Choose a password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Type the password again").fill(PASSPHRASE + " typo")
    page.get_by_role("button", name="Set up my account").tap()

    page.wait_for_load_state()
    assert (
        page.get_by_role("alert").inner_text().strip() == "Please correct the field marked below."
    )
    again = page.get_by_label("Type the password again")
    assert again.get_attribute("aria-invalid") == "true"
    error = page.locator("#" + again.get_attribute("aria-describedby"))
    assert " ".join(error.text_content().split()) == "Error: The two passwords differ."
    # The message sits right above its input, both in view together.
    gap = again.bounding_box()["y"] - (error.bounding_box()["y"] + error.bounding_box()["height"])
    assert 0 <= gap < 20
    _assert_fits(page)

    page.get_by_label("Choose a password", exact=True).fill(PASSPHRASE)
    again.fill(PASSPHRASE)
    page.get_by_role("button", name="Set up my account").tap()

    page.wait_for_url(re.compile(r"/me/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "Ada King" in page.locator("table").inner_text()
    _assert_fits(page)
    _assert_tappable(page.locator(".card .btn"))
    _assert_tappable(page.get_by_role("navigation", name="Your account").get_by_role("link"))
    _assert_claimed(ada)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_used_link_leads_a_phone_to_sign_in_and_the_account(page, live_server, mail_server):  # noqa: F811
    ada = PersonFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", full_name=""
    )
    link = _invite_and_send(ada, mail_server)
    claim_account(
        link.rstrip("/").rsplit("/", 1)[1], password=PASSWORD, first_name="Ada", last_name="King"
    )

    page.expect_console_errors(["410"])
    page.goto(link)

    assert page.get_by_role("heading", level=1).inner_text() == "Your account is already set up"
    _assert_fits(page)
    _assert_tappable(page.locator(".card .btn"))
    page.get_by_role("link", name="Sign in", exact=True).tap()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    _assert_fits(page)
    _assert_tappable(page.locator(".card input:not([type=hidden]):not([type=checkbox])"))
    _assert_tappable(page.locator(".card .btn, .card .help a"))
    email = page.get_by_label("Email")
    assert (email.get_attribute("type"), email.get_attribute("autocomplete")) == (
        "email",
        "email",
    )
    assert page.get_by_label("Password").get_attribute("autocomplete") == "current-password"
    email.fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(re.compile(r"/me/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    _assert_fits(page)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_every_unusable_link_fits_a_phone_with_a_next_step(page, live_server, mailoutbox, settings):
    admin = PersonFactory(admin=True)
    expired, revoked = (PersonFactory(email=f"{n}@example.com") for n in ("exp", "rev"))
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        expired_link = live_server.url + reverse("accounts:claim", args=[invite(expired, admin)])
    revoked_link = live_server.url + reverse("accounts:claim", args=[invite(revoked, admin)])
    resend_invitation(revoked, by=admin)
    page.expect_console_errors(["404", "410", "429"])
    cases = [
        (expired_link, "This link has expired", "Send me a new link"),
        (revoked_link, "This link is no longer valid", "Sign in instead"),
        (live_server.url + "/invitation/" + "x" * 43 + "/", "This link is not valid", None),
    ]
    for link, heading, first_step in cases:
        page.goto(link)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        steps = page.locator(".card .btn")
        assert steps.count() >= 1
        if first_step:
            assert steps.first.inner_text() == first_step
        _assert_tappable(steps)
        _assert_fits(page)

    settings.ROSTER_CLAIM_RATE_LIMIT = "1/m/ip"
    page.goto(expired_link)
    page.goto(expired_link)
    assert page.get_by_role("heading", level=1).inner_text() == "Too many requests"
    assert "Please wait a minute" in page.locator(".card").inner_text()
    _assert_tappable(page.get_by_role("link", name="Try again"))
    _assert_fits(page)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_dashboard_renders_and_fits_the_screen(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")
    PersonFactory.create_batch(3)

    _sign_in(page, live_server, admin.email)

    page.wait_for_load_state("networkidle")
    assert page.locator("#dashboard").is_visible()
    people = page.get_by_role("heading", name="People (4)")
    assert people.is_visible()
    assert page.get_by_role("heading", name="Needs attention").is_visible()
    assert page.get_by_text("Awaiting invitation").is_visible()
    _assert_fits(page)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_import_page_renders_and_fits_the_screen(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")

    _sign_in(page, live_server, admin.email, path="/admin/provisioning/importjob/add/")

    assert page.get_by_role("heading", name="Import people", level=1).is_visible()
    assert page.get_by_role("link", name="Template (CSV)").is_visible()
    upload = page.get_by_role("button", name="Upload and preview")
    upload.scroll_into_view_if_needed()
    assert upload.is_visible()
    _assert_fits(page)
    if page.viewport_size["width"] < 500:
        _assert_tappable(upload)
