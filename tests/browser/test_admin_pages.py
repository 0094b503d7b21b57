"""The menu, the header search and the Organisation page, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from accounts.models import LifecycleEvent, Organisation
from tests.browser.conftest import VIEWPORT_NAMES
from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The menu's sections and one entry of each, in the order the menu gives them.
MENU = [
    "Dashboard",
    "Directory",
    "Pending",
    "Groups",
    "Identity providers",
    "SCIM targets",
    "Audit log",
    "Organisation",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _no_page_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]}px wide in {width[1]}px"


def _open_menu(page) -> None:
    """On a phone the menu sits behind its button; on a desktop it is always shown."""
    if page.viewport_size["width"] < 1024:
        page.get_by_role("button", name="Open the menu").click()


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_menu_lists_the_tasks_in_order_and_the_search_jumps_to_a_person(page, live_server):
    PersonFactory(admin=True, email="admin@example.com", department="IT")
    PersonFactory(
        email="grace.hopper@example.com",
        first_name="Grace",
        last_name="Hopper",
        department="Engineering",
    )
    _sign_in(page, live_server, "admin@example.com")
    _no_page_scroll(page)

    _open_menu(page)
    nav = page.locator("nav").first
    links = nav.get_by_role("link")
    titles = [t.split(maxsplit=1)[-1].strip() for t in links.all_inner_texts()]
    positions = [titles.index(entry) for entry in MENU]
    assert positions == sorted(positions), titles
    assert nav.get_by_role("link", name=re.compile("Directory")).is_visible()
    assert "Periodic tasks" not in titles and "SCIM links" not in titles

    if page.viewport_size["width"] < 1024:
        page.get_by_role("button", name="Close the menu").click()
    page.get_by_role("button", name="Find people or pages").click()
    box = page.locator("#search-input-command")
    box.press_sequentially("hopper")
    result = page.locator("#command-results-list a", has_text="Grace Hopper")
    result.wait_for()
    result.click()
    page.wait_for_url(re.compile(r"/admin/accounts/person/\d+/change/"))
    assert page.locator('input[name="email"]').input_value() == "grace.hopper@example.com"
    _no_page_scroll(page)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_organisation_page_saves_name_and_time_zone_and_audits_the_change(page, live_server):
    PersonFactory(admin=True, email="admin@example.com", department="IT")
    _sign_in(page, live_server, "admin@example.com", "/admin/accounts/organisation/")
    _no_page_scroll(page)

    page.get_by_label("Organisation name").fill("Northwind Traders")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    page.get_by_text("The organisation's settings were saved.").wait_for()

    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.time_zone) == ("Northwind Traders", "Europe/Paris")
    event = LifecycleEvent.objects.filter(subject_kind="organisation").latest("pk")
    assert event.changes["name"][1] == "Northwind Traders"
    assert page.get_by_label("Organisation name").input_value() == "Northwind Traders"
    _no_page_scroll(page)
