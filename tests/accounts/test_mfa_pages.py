"""Two-factor pages: the name authenticator apps show, and the code fields' phone hints."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
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


def _code_input(html: str) -> str:
    return re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)


def test_code_fields_ask_a_phone_for_the_right_keyboard(client, admin_user):
    client.post(reverse("account_login"), {"login": admin_user.email, "password": PASSWORD})
    setup = client.get(reverse("mfa_activate_totp")).content.decode()
    totp_code = _code_input(setup)
    assert 'inputmode="numeric"' in totp_code
    assert 'autocomplete="one-time-code"' in totp_code
    assert '<label for="id_code">6-digit code from your app</label>' in setup
    client.logout()

    TOTP.activate(admin_user, generate_totp_secret())
    response = client.post(
        reverse("account_login"), {"login": admin_user.email, "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    page = client.get(response.url).content.decode()
    sign_in_code = _code_input(page)
    # Recovery codes have letters: the full keyboard, without capitals or autocorrect.
    assert "inputmode" not in sign_in_code
    assert 'autocomplete="one-time-code"' in sign_in_code
    assert 'autocapitalize="none"' in sign_in_code and 'autocorrect="off"' in sign_in_code
    assert "Code from your app, or a recovery code" in page
