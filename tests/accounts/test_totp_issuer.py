"""Authenticator apps list a Roster account under the organisation's name."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.urls import reverse

from accounts import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _issuer_and_label(client) -> tuple[str, str]:
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    url = urlsplit(response.context["totp_url"])
    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    [issuer] = parse_qs(url.query)["issuer"]
    return issuer, unquote(url.path.lstrip("/"))


def test_totp_issuer_follows_the_organisation_name_when_it_is_changed(client, admin_user, settings):
    settings.ORGANISATION_NAME = "From the environment"
    client.post(reverse("account_login"), {"login": admin_user.email, "password": PASSWORD})

    assert _issuer_and_label(client)[0] == "From the environment"

    services.update_organisation(
        by=admin_user,
        name="Acme & Söhne",
        time_zone="Europe/Berlin",
        phone_region="DE",
        invite_expiry_days=7,
        reminder_days="3",
    )

    issuer, label = _issuer_and_label(client)
    assert issuer == "Acme & Söhne"
    assert admin_user.email in label
