"""What the claim pages tell a phone: input hints, errors tied to their fields,
and a next step on every outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.invitations import claim_account, resend_invitation
from accounts.organisation import forget_cached_organisation
from tests.accounts.invitations.helpers import deliver_queued
from tests.accounts.invitations.test_claim import PASSWORD, invite
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitee(db):
    return PersonFactory(email="ann@example.com", first_name="Ann", last_name="Lee")


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def test_claim_form_tells_the_phone_which_keyboard_and_autofill_to_offer(
    client, admin_user, invitee, mailoutbox
):
    token = invite(invitee, admin_user)
    html = client.get(reverse("accounts:claim", args=[token])).content.decode()

    assert 'autocomplete="given-name"' in _input(html, "first_name")
    assert 'autocomplete="family-name"' in _input(html, "last_name")
    for name in ("password1", "password2"):
        field = _input(html, name)
        assert 'type="password"' in field and 'autocomplete="new-password"' in field
    # The address the password belongs to, for password managers: shown, not sent.
    username = re.search(r'<input[^>]*autocomplete="username"[^>]*>', html).group(0)
    assert 'type="email"' in username and 'value="ann@example.com"' in username
    assert "readonly" in username and "name=" not in username
    assert '<label for="id_password1">Choose a password</label>' in html
    assert "At least 8 characters." in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_claim_errors_sit_by_their_field_and_are_announced(client, admin_user, invitee, mailoutbox):
    token = invite(invitee, admin_user)
    response = client.post(
        reverse("accounts:claim", args=[token]),
        {"first_name": "Ann", "last_name": "Lee", "password1": PASSWORD, "password2": "other"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and "Please correct the field marked below." in html
    field = _input(html, "password2")
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_password2_error"' in field
    error = re.search(r'<ul class="field-errors" id="id_password2_error">(.*?)</ul>', html, re.S)
    assert "Error: </span>The two passwords differ." in error.group(1)
    assert 'aria-invalid="true"' not in _input(html, "password1")
    invitee.refresh_from_db()
    assert invitee.status == invitee.Status.INVITED


def test_every_unusable_link_says_why_and_offers_a_next_step(client, admin_user, mailoutbox):
    expired, revoked, used = (
        PersonFactory(email=f"{name}@example.com") for name in ("exp", "rev", "used")
    )
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        expired_token = invite(expired, admin_user)
    revoked_token = invite(revoked, admin_user)
    resend_invitation(revoked, by=admin_user)
    deliver_queued()
    used_token = invite(used, admin_user)
    claim_account(used_token, password=PASSWORD, first_name="U", last_name="Sed")
    login, new_link = reverse("account_login"), reverse("accounts:new-link")
    reset = reverse("account_reset_password")

    cases = {
        expired_token: (410, "This link has expired", [new_link, login]),
        revoked_token: (410, "This link is no longer valid", [login]),
        used_token: (410, "Your account is already set up", [login, reset]),
        "x" * 43: (404, "This link is not valid", [new_link, login]),
    }
    for token, (status, heading, next_steps) in cases.items():
        response = client.get(reverse("accounts:claim", args=[token]))
        html = response.content.decode()
        assert response.status_code == status
        assert f'<h1 class="title">{heading}</h1>' in html
        buttons = re.findall(r'<a href="([^"]+)" class="btn ', html)
        assert buttons == next_steps, heading


def test_rate_limited_page_says_how_long_to_wait_and_offers_to_retry(
    client, admin_user, invitee, settings
):
    settings.ROSTER_CLAIM_RATE_LIMIT = "2/m/ip"
    url = reverse("accounts:claim", args=["x" * 43])
    client.get(url)
    client.get(url)

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Please wait a minute, then try again." in html
    assert f'<a href="{url}" class="btn btn-primary">Try again</a>' in html
    settings.ROSTER_NEW_LINK_RATE_LIMIT = "1/h/ip"
    new_link = reverse("accounts:new-link")
    client.post(new_link, {"email": "ann@example.com"})
    refused = client.post(new_link, {"email": "ann@example.com"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Please wait an hour" in refused.content.decode()


def test_claim_and_account_pages_show_the_organisations_name_and_logo(
    client, admin_user, invitee, mailoutbox
):
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe"
        b"\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    services.update_organisation(
        by=admin_user,
        name="Acme Ltd",
        time_zone="UTC",
        phone_region="GB",
        invite_expiry_days=7,
        reminder_days="3",
        logo=png,
    )
    forget_cached_organisation()
    token = invite(invitee, admin_user)

    claim = client.get(reverse("accounts:claim", args=[token])).content.decode()
    client.force_login(admin_user)
    account = client.get(reverse("accounts:your-account")).content.decode()

    for html in (claim, account):
        assert '<img class="brand-logo" src="data:image/png;base64,' in html
        assert "<span>Acme Ltd</span>" in html
        assert '<p class="eyebrow">Acme Ltd</p>' in html


def test_your_account_offers_two_factor_until_it_is_on(client, admin_user):
    client.force_login(admin_user)
    before = client.get(reverse("accounts:your-account")).content.decode()
    TOTP.activate(admin_user, generate_totp_secret())
    after = client.get(reverse("accounts:your-account")).content.decode()

    assert "Set up two-factor authentication" in before
    assert "Two-factor authentication is on." not in before
    assert "Set up two-factor authentication" not in after
    assert "Manage two-factor authentication" in after
    assert "Two-factor authentication is on." in after
