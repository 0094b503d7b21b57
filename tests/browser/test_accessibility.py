"""axe-core finds nothing critical or serious on the pages people use most,
on a desktop (1440x900) and on a phone (390x844), the public pages in the
light and the dark colour scheme.

To audit another page, add its path to ADMIN_PAGES (signed in as a System
administrator) or call ``assert_accessible(page, url)`` from any test.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.invitations import invite_person
from tests.accounts.invitations.helpers import deliver_queued, tokens
from tests.browser.axe import assert_accessible, audit
from tests.browser.conftest import VIEWPORT_NAMES
from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PAGES = {
    "dashboard": "/admin/",
    "people": "/admin/accounts/person/",
    "import": "/admin/provisioning/importjob/add/",
}


@pytest.fixture
def signed_in_admin(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")
    PersonFactory.create_batch(3)
    _sign_in(page, live_server, admin.email)
    return admin


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_admin_page_has_no_serious_violations(page, live_server, signed_in_admin, name):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, live_server.url + ADMIN_PAGES[name])


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_person_page_has_no_serious_violations(page, live_server, signed_in_admin):
    from accounts import services
    from accounts.groups import services as group_services

    manager = PersonFactory(email="grace@example.com", department="Engineering")
    person = PersonFactory(
        email="ada@example.com", manager=manager, department="Engineering", job_title="Engineer"
    )
    PersonFactory(email="alan@example.com", manager=person, department="Engineering")
    services.update_person(person, job_title="Staff Engineer", by=signed_in_admin)
    invite_person(person, by=signed_in_admin)
    group_services.create_group(name="Engineering", member_ids=[person.pk], by=signed_in_admin)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, live_server.url + f"/admin/accounts/person/{person.pk}/change/")


@pytest.fixture
def claim_url(live_server, mailoutbox):
    admin = PersonFactory(admin=True, email="admin@example.com")
    invitee = PersonFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    invite_person(invitee, by=admin)
    deliver_queued()
    [token] = tokens(mailoutbox[-1])
    return live_server.url + reverse("accounts:claim", args=[token])


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_claim_page_has_no_serious_violations(page, claim_url):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, claim_url)
        # Nor once it shows errors.
        page.fill('input[name="password1"]', "a sturdy claim passphrase")
        page.fill('input[name="password2"]', "a different passphrase")
        page.get_by_role("button", name="Set up my account").click()
        page.get_by_role("alert").wait_for()
        assert_accessible(page)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_link_problem_page_has_no_serious_violations(page, live_server):
    page.expect_console_errors(["404"])
    page.goto(live_server.url + reverse("accounts:claim", args=["x" * 43]))
    assert page.get_by_role("heading", name="This link is not valid").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_your_account_has_no_serious_violations(page, live_server):
    person = PersonFactory(
        claimed=True, email="ada@example.com", job_title="Engineer", department="R&D"
    )
    _sign_in(page, live_server, person.email, path="/me/")
    assert_accessible(page)
    page.emulate_media(color_scheme="dark")
    assert_accessible(page, page.url)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_sign_in_and_account_pages_have_no_serious_violations(page, live_server):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name in ("account_login", "account_reset_password", "accounts:new-link"):
            assert_accessible(page, live_server.url + reverse(name))
    page.emulate_media(color_scheme="light")
    person = PersonFactory(claimed=True, email="ada@example.com")
    _sign_in(page, live_server, person.email, path="/me/")
    for name in ("account_change_password", "mfa_index", "mfa_activate_totp"):
        assert_accessible(page, live_server.url + reverse(name))


def test_audit_names_the_rule_and_the_element_it_found(page):
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head>'
        '<body><main><h1>Form</h1><input type="text" id="nameless"></main></body></html>'
    )

    [violation] = audit(page)

    assert (violation.rule, violation.impact, violation.targets) == (
        "label",
        "critical",
        ("#nameless",),
    )
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_accessible(page)
    assert "[critical] label: Form elements must have labels" in str(failed.value)
    assert "at #nameless" in str(failed.value)
