"""axe-core finds nothing critical or serious on the pages people use most,
on a desktop and on a phone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.invitations import invite_person
from tests.accounts.invitations.helpers import deliver_queued, tokens
from tests.browser.axe import assert_accessible
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
    assert_accessible(page, live_server.url + ADMIN_PAGES[name])


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
    assert_accessible(page, claim_url)


@pytest.mark.parametrize("page", VIEWPORT_NAMES, indirect=True)
def test_your_account_has_no_serious_violations(page, live_server):
    person = PersonFactory(
        claimed=True, email="ada@example.com", job_title="Engineer", department="R&D"
    )
    _sign_in(page, live_server, person.email, path="/me/")
    assert_accessible(page)
