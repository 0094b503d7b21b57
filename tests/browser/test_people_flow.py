"""A System administrator signs in and manages people in a real browser."""

from __future__ import annotations

import re

import pytest

from accounts.models import LifecycleEvent, Person
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, email: str, path: str = "/admin/") -> None:
    page.goto(live_server.url + path)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + path)


def test_administrator_adds_finds_and_deactivates_a_person(page, live_server):
    PersonFactory(admin=True, email="admin@example.com")

    _sign_in(page, live_server, "admin@example.com")

    page.goto(live_server.url + "/admin/accounts/person/")
    assert page.locator("#changelist-form, #result_list").first.is_visible()

    page.goto(live_server.url + "/admin/accounts/person/add/")
    page.fill("#id_email", "grace.hopper@example.com")
    page.fill("#id_first_name", "Grace")
    page.fill("#id_last_name", "Hopper")
    page.fill("#id_department", "Research")
    page.locator('[name="_save"]').click()
    page.wait_for_load_state()
    grace = Person.objects.get(email="grace.hopper@example.com")
    assert (grace.first_name, grace.last_name, grace.department) == ("Grace", "Hopper", "Research")
    assert grace.status == Person.Status.STAGED

    page.goto(live_server.url + "/admin/accounts/person/")
    search = page.locator('input[name="q"]')
    search.fill("grace.hopper")
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=grace\.hopper"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "grace.hopper@example.com" in rows.first.inner_text()

    page.locator(f'input[name="_selected_action"][value="{grace.pk}"]').check()
    page.locator('select[name="action"]').select_option("deactivate_selected")
    page.locator('button[name="index"]').click()

    page.wait_for_selector("#confirm-deactivate")
    assert "grace.hopper@example.com" in page.locator("#affected").inner_text()
    grace.refresh_from_db()
    assert grace.status == Person.Status.STAGED
    page.locator('button[name="confirm_button"]').click()

    page.wait_for_url(re.compile(r"/admin/accounts/person/"))
    assert "Deactivated 1 person" in page.content()
    grace.refresh_from_db()
    assert grace.status == Person.Status.DEACTIVATED
    assert LifecycleEvent.objects.filter(person=grace, action="deactivated").count() == 1
    page.goto(live_server.url + "/admin/accounts/person/?q=grace.hopper")
    # The status label is upper-cased by CSS; its text is the display value.
    assert "Deactivated" in page.locator("#result_list tbody tr").first.text_content()


def test_sign_in_and_password_reset_pages_render(page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    assert page.title() == "Sign in · Roster"
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.get_by_role("link", name="Sign up").count() == 0
    button = page.get_by_role("button", name="Sign in")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") != "rgba(0, 0, 0, 0)"

    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(live_server.url + "/accounts/password/reset/")
    page.fill('input[name="email"]', "nobody@example.com")
    page.get_by_role("button", name="Email me a reset link").click()

    page.wait_for_url(live_server.url + "/accounts/password/reset/done/")
    assert page.locator("h1").inner_text() == "Check your email"
