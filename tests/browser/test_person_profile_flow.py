"""An administrator finds a person and works on their profile, on a desktop and a phone."""

from __future__ import annotations

import re

import pytest

from accounts.models import Person
from tests.browser.conftest import VIEWPORT_NAMES
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
# Visible form fields with no accessible name (no label, aria-label or title).
UNLABELLED_FIELDS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(e => {
        const box = e.getBoundingClientRect();
        if (!box.width && !box.height) return false;
        if ([...(e.labels || [])].some(l => l.textContent.trim())) return false;
        return !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.title);
    }).map(e => e.name || e.id)"""


def _sign_in(page, live_server, email: str, path: str) -> None:
    page.goto(live_server.url + path)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + path)


def _is_phone(page) -> bool:
    return page.viewport_size["width"] < 500


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_people_list_finds_a_person_without_scrolling_the_page_sideways(page, live_server):
    PersonFactory(admin=True, email="admin@example.com")
    PersonFactory.create_batch(12, department="A department with a rather long name")
    ada = PersonFactory(
        full_name="Ada Lovelace",
        email="ada.lovelace.with.a.long.address@engineering.example.com",
        job_title="Principal Analytical Engine Programmer",
    )

    _sign_in(page, live_server, "admin@example.com", "/admin/accounts/person/")
    assert page.evaluate(NO_PAGE_SCROLL)
    assert page.evaluate(UNLABELLED_FIELDS) == []
    search = page.get_by_label("Search people")
    search.fill("Lovelace")
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=Lovelace"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Awaiting invitation" in rows.first.text_content()
    assert page.evaluate(NO_PAGE_SCROLL)

    rows.first.get_by_role("link", name="Ada Lovelace").click()
    page.wait_for_url(re.compile(rf"/admin/accounts/person/{ada.pk}/change/"))
    assert page.locator("#profile-name").inner_text() == "Ada Lovelace"
    assert page.evaluate(NO_PAGE_SCROLL)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_profile_shows_header_reporting_line_and_the_timeline_of_an_edit(page, live_server):
    PersonFactory(admin=True, email="admin@example.com", full_name="Alex Admin")
    top = PersonFactory(full_name="Grace Top", job_title="Chief Executive")
    manager = PersonFactory(full_name="Mary Manager", manager=top, job_title="")
    ada = PersonFactory(
        full_name="Ada Lovelace",
        manager=manager,
        department="Research",
        claimed=True,
        email="ada.lovelace.with.a.long.address@engineering.example.com",
    )
    PersonFactory(full_name="Rita Report", manager=ada)
    path = f"/admin/accounts/person/{ada.pk}/change/"

    _sign_in(page, live_server, "admin@example.com", path)
    header = page.locator("#profile")
    assert page.locator("#profile-name").inner_text() == "Ada Lovelace"
    assert page.locator("#profile-status").inner_text().strip() == "Active"
    assert page.locator("#profile-department").inner_text() == "Research"
    assert header.get_by_role("link", name="Deactivate").is_visible()
    assert page.evaluate(NO_PAGE_SCROLL)
    assert page.evaluate(UNLABELLED_FIELDS) == []
    # Keyboard focus on a section link is visible.
    nav_link = page.locator(".profile-nav a").first
    nav_link.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert nav_link.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"

    # The section navigation reaches the reporting line.
    page.locator(".profile-nav").get_by_role("link", name="Reporting line").click()
    page.wait_for_url(re.compile(r"#reporting-line$"))
    chain = page.locator("#manager-chain ol li")
    assert chain.all_inner_texts() == [
        "Grace Top · Chief Executive",
        "Mary Manager",
        "Ada Lovelace",
    ]
    assert page.locator("#direct-report-count").inner_text() == "1"

    # An edit made here shows first in the timeline, field by field.
    page.fill("#id_department", "Analytical Engines")
    page.locator('[name="_continue"]').click()
    page.wait_for_url(re.compile(re.escape(path) + r"$"))
    latest = page.locator("#timeline .profile-event").first
    assert latest.locator(".profile-event-head strong").inner_text() == "Updated"
    assert latest.locator("dt").all_inner_texts() == ["Department"]
    assert latest.locator(".profile-before").inner_text() == "Research"
    assert latest.locator(".profile-after").inner_text() == "Analytical Engines"
    assert "Alex Admin" in latest.locator(".profile-event-head").inner_text()
    assert Person.objects.get(pk=ada.pk).department == "Analytical Engines"
    assert page.locator("#profile-department").inner_text() == "Analytical Engines"
    assert page.evaluate(NO_PAGE_SCROLL)

    # The chain's links lead up the line; the top's reports lead back down.
    page.locator("#manager-chain").get_by_role("link", name="Grace Top").click()
    page.wait_for_url(live_server.url + f"/admin/accounts/person/{top.pk}/change/")
    assert page.locator("#profile-name").inner_text() == "Grace Top"
    assert "has no manager" in page.locator("#manager-chain").inner_text()
    page.locator("#direct-reports").get_by_role("link", name="Mary Manager").click()
    page.wait_for_url(live_server.url + f"/admin/accounts/person/{manager.pk}/change/")
    assert page.locator("#profile-name").inner_text() == "Mary Manager"
    if _is_phone(page):
        # Every action and section link is a comfortable tap target.
        sizes = page.locator(".profile-nav a, .profile-action").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert sizes and min(sizes) >= 44
    assert page.evaluate(NO_PAGE_SCROLL)
