"""Signing in (allauth), the admin's door, password reset and two-factor authentication."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.actors import SYSTEM
from accounts.models import LifecycleEvent, Person
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
NEW_PASSWORD = "a fresh river of quiet lanterns 42"


def _sign_in(client, email: str, password: str = PASSWORD, next_url: str = ""):
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def _signed_in_pk(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _reset_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/key/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- the admin's door -------------------------------------------------------


def test_admin_sends_anonymous_visitor_to_sign_in_page_keeping_next(client):
    admin = client.get("/admin/")
    admin_login = client.get(admin.url)
    login_page = client.get(admin_login.url)

    assert (admin.status_code, admin.url) == (302, "/admin/login/?next=/admin/")
    assert (admin_login.status_code, admin_login.url) == (302, "/accounts/login/?next=/admin/")
    assert login_page.status_code == 200
    assert login_page.templates[0].name == "account/login.html"
    assert b'name="next" value="/admin/"' in login_page.content


def test_signing_in_from_admin_returns_administrator_to_admin(client, admin_user):
    response = _sign_in(client, admin_user.email, next_url="/admin/")

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert _signed_in_pk(client) == admin_user.pk
    assert client.get("/admin/").status_code == 200


def test_sign_in_accepts_email_in_any_case(client, admin_user):
    response = _sign_in(client, "ADMIN@Example.com")

    assert response.status_code == 302
    assert _signed_in_pk(client) == admin_user.pk


def test_wrong_password_is_refused_without_saying_whether_account_exists(client, admin_user):
    wrong = _sign_in(client, admin_user.email, password="not the password")
    unknown = _sign_in(client, "nobody@example.com", password="not the password")

    assert wrong.status_code == 200
    assert unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert _signed_in_pk(client) is None


def test_failed_sign_ins_lock_the_account_even_for_the_right_password(client, admin_user):
    for _ in range(5):
        response = _sign_in(client, admin_user.email, password="guess")
        assert response.status_code == 200

    response = _sign_in(client, admin_user.email)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert _signed_in_pk(client) is None


def test_person_without_admin_role_gets_no_admin_access(client):
    person = PersonFactory(claimed=True, email="reader@example.com")
    assert person.role == ""

    response = _sign_in(client, person.email, next_url="/admin/")
    assert _signed_in_pk(client) == person.pk
    admin = client.get(response.url, follow=True)

    assert admin.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert admin.status_code == 403
    assert b"No access to the admin panel" in admin.content
    assert client.get("/admin/accounts/person/").status_code == 302


def test_person_without_admin_role_lands_on_their_account_page(client):
    person = PersonFactory(claimed=True, email="reader@example.com")

    response = _sign_in(client, person.email)

    assert response.url == reverse("accounts:your-account")
    assert client.get(response.url).status_code == 200


def test_administrator_without_next_lands_in_admin(client, admin_user):
    response = _sign_in(client, admin_user.email)

    assert response.url == "/admin/"


def test_deactivated_person_cannot_sign_in(client):
    person = PersonFactory(claimed=True, email="gone@example.com")
    services.deactivate_person(person, by=SYSTEM)

    _sign_in(client, person.email)

    assert _signed_in_pk(client) is None


def test_signed_in_administrator_visiting_admin_login_goes_to_admin(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/login/?next=/admin/accounts/person/")

    assert response.status_code == 302
    assert response.url == "/admin/accounts/person/"


def test_admin_login_ignores_next_pointing_elsewhere(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/login/?next=https://evil.example.org/")

    assert response.url == "/admin/"


def test_admin_sign_out_signs_out_in_one_step(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/admin/logout/", follow=True)

    assert response.redirect_chain[0] == ("/accounts/logout/", 307)
    assert _signed_in_pk(client) is None
    assert response.templates[0].name == "account/login.html"


# --- sign-up is closed ------------------------------------------------------


def test_login_page_offers_no_sign_up(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert reverse("account_signup").encode() not in response.content
    assert b"sign up" not in response.content.lower()
    assert reverse("account_reset_password").encode() in response.content


def test_sign_up_page_says_accounts_are_by_invitation(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assert response.templates[0].name == "account/signup_closed.html"
    assert b"Accounts are by invitation" in response.content


def test_sign_up_form_post_creates_nobody(client):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert Person.objects.count() == 0


# --- password reset ---------------------------------------------------------


def test_password_reset_email_lets_person_choose_a_new_password(client, mailoutbox):
    person = PersonFactory(claimed=True, email="ada@example.com")

    response = client.post(reverse("account_reset_password"), {"email": "Ada@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.com"]
    assert mailoutbox[0].subject == "Reset your Roster password"
    assert mailoutbox[0].body.startswith(f"Hello {person.first_name},\n\nSomeone asked")
    link = _reset_link(mailoutbox[0])

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done.url == reverse("account_reset_password_from_key_done")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    event = LifecycleEvent.objects.get(person=person)
    assert (event.action, event.actor, event.actor_kind) == ("password_set", person, "person")
    client.logout()
    _sign_in(client, "ada@example.com", password=NEW_PASSWORD)
    assert _signed_in_pk(client) == person.pk


def test_reset_link_works_only_once(client, mailoutbox):
    PersonFactory(claimed=True, email="ada@example.com")
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    link = _reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    client.logout()

    again = client.get(link, follow=True)

    assert b"This link no longer works" in again.content


def test_password_reset_for_unknown_email_answers_the_same_and_sends_nothing(client, mailoutbox):
    PersonFactory(claimed=True, email="ada@example.com")

    known = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    page = client.get(unknown.url)
    assert b"If an account exists for that address" in page.content


def test_password_reset_for_deactivated_person_sends_nothing(client, mailoutbox):
    person = PersonFactory(claimed=True, email="gone@example.com")
    services.deactivate_person(person, by=SYSTEM)

    response = client.post(reverse("account_reset_password"), {"email": "gone@example.com"})

    assert response.url == reverse("account_reset_password_done")
    assert mailoutbox == []


def test_reset_link_sent_before_deactivation_no_longer_works(client, mailoutbox):
    person = PersonFactory(claimed=True, email="ada@example.com")
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    link = _reset_link(mailoutbox[0])
    services.deactivate_person(person, by=SYSTEM)
    services.reactivate_person(person, by=SYSTEM)

    response = client.get(link, follow=True)

    assert response.status_code == 200
    assert b"This link no longer works" in response.content
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not LifecycleEvent.objects.filter(action="password_set").exists()


def test_password_change_is_audited_and_keeps_person_signed_in(client):
    person = PersonFactory(claimed=True, email="ada@example.com")
    client.force_login(person)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert _signed_in_pk(client) == person.pk
    event = LifecycleEvent.objects.get(person=person)
    assert (event.action, event.actor_label) == ("password_set", f"{person} <ada@example.com>")


def test_password_change_with_wrong_current_password_changes_nothing(client):
    person = PersonFactory(claimed=True, email="ada@example.com")
    client.force_login(person)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not LifecycleEvent.objects.exists()


# --- two-factor authentication ----------------------------------------------


def test_required_mfa_sends_staff_without_totp_to_setup(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    client.force_login(admin_user)

    response = client.get("/admin/accounts/person/")

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_required_mfa_still_lets_staff_sign_out_of_admin(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    client.force_login(admin_user)

    response = client.post("/admin/logout/")

    assert response.url == "/accounts/logout/"


def test_staff_without_totp_use_admin_when_mfa_is_not_required(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = False
    client.force_login(admin_user)

    assert client.get("/admin/").status_code == 200


def test_required_mfa_lets_staff_with_totp_into_admin(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)

    assert client.get("/admin/").status_code == 200


def test_required_mfa_leaves_people_without_admin_role_alone(client, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    person = PersonFactory(claimed=True)
    client.force_login(person)

    response = client.get("/admin/")

    assert response.url == "/admin/login/?next=/admin/"


def test_staff_can_turn_on_totp_from_setup_page_then_use_admin(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    _sign_in(client, admin_user.email, next_url="/admin/")
    setup = client.get(client.get("/admin/").url)
    assert setup.status_code == 200
    assert b"Set up an authenticator app" in setup.content
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": _totp_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=admin_user, type="totp").count() == 1
    assert client.get("/admin/").status_code == 200


def test_turning_on_totp_long_after_sign_in_asks_for_password_again(client, admin_user):
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        _sign_in(client, admin_user.email)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_sign_in_with_totp_asks_for_code_before_admin(client, admin_user):
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)

    response = _sign_in(client, admin_user.email, next_url="/admin/")

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert _signed_in_pk(client) is None
    assert client.get("/admin/").status_code == 302
    page = client.get(reverse("mfa_authenticate"))
    assert b"Enter your code" in page.content


def test_wrong_totp_code_keeps_person_signed_out(client, admin_user):
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)
    _sign_in(client, admin_user.email, next_url="/admin/")
    wrong = f"{(int(_totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Incorrect code."]}
    assert _signed_in_pk(client) is None


def test_correct_totp_code_completes_sign_in_to_admin(client, admin_user):
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)
    _sign_in(client, admin_user.email, next_url="/admin/")

    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert _signed_in_pk(client) == admin_user.pk
    assert client.get("/admin/").status_code == 200


def test_recovery_code_completes_sign_in_once(client, admin_user):
    TOTP.activate(admin_user, generate_totp_secret())
    code = RecoveryCodes.activate(admin_user).generate_codes()[0]
    _sign_in(client, admin_user.email, next_url="/admin/")

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.url == "/admin/"
    assert _signed_in_pk(client) == admin_user.pk
    client.logout()
    _sign_in(client, admin_user.email, next_url="/admin/")
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert _signed_in_pk(client) is None


def test_admin_user_menu_links_to_password_and_two_factor_pages(admin_client):
    response = admin_client.get("/admin/")

    assert b'href="/accounts/password/change/"' in response.content
    assert b'href="/accounts/2fa/"' in response.content


# --- pages render in the Roster layout --------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_reset_password", "account_reset_password_done", "account_signup"],
)
def test_signed_out_pages_use_the_roster_layout(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert b'href="/static/css/public.css"' in response.content
    # Not bare "cdn": the random CSRF token may contain it.
    assert b"//cdn" not in response.content.lower()


@pytest.mark.parametrize(
    "url_name",
    ["account_logout", "account_change_password", "mfa_index", "mfa_activate_totp"],
)
def test_account_pages_use_the_roster_layout(client, admin_user, url_name):
    _sign_in(client, admin_user.email)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert b'href="/static/css/public.css"' in response.content
    assert b"Two-factor authentication" in response.content
