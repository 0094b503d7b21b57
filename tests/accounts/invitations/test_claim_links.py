"""A base URL that sends claim links to another server shows before anyone is invited."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:index")


def test_dashboard_warns_when_email_links_point_at_another_server(admin_client, settings):
    settings.ROSTER_BASE_URL = "http://localhost:8000"
    html = admin_client.get(DASHBOARD, HTTP_HOST="127.0.0.1:18123").content.decode()
    assert 'id="base-url-warning"' in html
    assert "Invitation and reminder links start with http://localhost:8000" in html
    assert "this portal is open at http://127.0.0.1:18123" in html


@pytest.mark.parametrize(
    ("base_url", "host"),
    [
        ("http://127.0.0.1:18123", "127.0.0.1:18123"),
        ("http://127.0.0.1:18123/", "localhost:18123"),
        ("https://roster.acme.test", "roster.acme.test"),
    ],
)
def test_dashboard_has_no_warning_when_links_reach_this_server(
    admin_client, settings, base_url, host
):
    settings.ROSTER_BASE_URL = base_url
    settings.ALLOWED_HOSTS = ["*"]
    secure = base_url.startswith("https")
    html = admin_client.get(DASHBOARD, HTTP_HOST=host, secure=secure).content.decode()
    assert 'id="dashboard"' in html
    assert 'id="base-url-warning"' not in html


def test_test_email_message_shows_the_link_it_contains(admin_client, person, settings):
    settings.ROSTER_BASE_URL = "http://localhost:8000"
    url = reverse("admin:accounts_person_invite_detail", args=[person.pk])
    response = admin_client.post(url, {"when": "now", "message": "", "send_test": "1"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("Its claim link points at http://localhost:8000/invitation/" in m for m in shown), (
        shown
    )
