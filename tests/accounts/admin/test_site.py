"""The admin's front page (the dashboard) and the pages it leaves out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Person
from tests.accounts.admin.helpers import (
    PEOPLE_URL,
)
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_dashboard_shows_people_by_status_the_chart_and_the_open_domain_warning(admin_client):
    PersonFactory(status=Person.Status.INVITED)
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Any email domain is accepted." in html
    assert reverse("admin:accounts_alloweddomain_add") in html
    assert f"{PEOPLE_URL}?status__exact=invited" in html
    assert [(c["label"], c["count"]) for c in response.context["people_by_status"]] == [
        ("Awaiting invitation", 0),
        ("Invited", 1),
        ("Active", 1),
        ("Deactivated", 0),
    ]
    assert 'data-type="bar"' in html
    assert "Manual: 2" in html


def test_dashboard_drops_the_warning_once_a_domain_is_allowed(admin_client):
    AllowedDomainFactory(domain="example.com")
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Any email domain is accepted." not in html


def test_admin_offers_no_pages_for_groups_or_allauth_email_addresses(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "/admin/auth/group/" not in html
    assert "/admin/account/emailaddress/" not in html
    assert admin_client.get("/admin/auth/group/").status_code == 404
