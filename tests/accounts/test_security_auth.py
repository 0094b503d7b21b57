"""Secrets stay secret from every role, allauth mounts only what Roster uses, and
required two-factor authentication covers the API too."""

from __future__ import annotations

import importlib
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.apps import apps
from django.urls import reverse

from accounts import api_tokens, crypto
from accounts.actors import CLI
from accounts.models import Person
from accounts.roles import Role, role_has_capability
from provisioning.scim.services import create_target
from tests.api.conftest import token_client
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
BEARER = "scim-bearer-never-shown-0123456789"


def totp_code(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


# --- permissions from an explicit list ------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNT_MANAGER, Role.AUDITOR])
@pytest.mark.parametrize(
    "capability",
    [
        "mfa.view_authenticator",
        "mfa.change_authenticator",
        "auth.view_group",
        "auth.view_permission",
        "account.view_emailaddress",
        "django_celery_beat.view_periodictask",
        "sessions.view_session",
    ],
)
def test_no_role_holds_permissions_of_other_apps(role, capability):
    assert role_has_capability(role, capability) is False


def test_auditors_read_only_the_listed_roster_records():
    assert role_has_capability(Role.AUDITOR, "accounts.view_person")
    assert role_has_capability(Role.AUDITOR, "provisioning.view_scimtarget")
    assert not role_has_capability(Role.AUDITOR, "accounts.view_idempotencykey")
    assert not role_has_capability(Role.AUDITOR, "provisioning.view_importchunk")


@pytest.mark.parametrize("role", ["admin_user", "account_manager", "auditor"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/mfa/authenticator/",
        "/admin/auth/group/",
        "/admin/account/emailaddress/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/crontabschedule/",
    ],
)
def test_third_party_tables_are_not_in_any_roles_admin(client, request, role, path):
    client.force_login(request.getfixturevalue(role))

    assert client.get(path).status_code == 404


# --- MFA secrets encrypted at rest -------------------------------------------------------


def test_totp_keys_and_recovery_seeds_are_stored_encrypted_and_still_work(admin_user):
    TOTP.activate(admin_user, TOTP_SECRET)
    codes = RecoveryCodes.activate(admin_user)

    totp = Authenticator.objects.get(user=admin_user, type=Authenticator.Type.TOTP)
    recovery = Authenticator.objects.get(user=admin_user, type=Authenticator.Type.RECOVERY_CODES)
    assert TOTP_SECRET not in str(totp.data)
    assert crypto.is_encrypted(totp.data["secret"])
    assert crypto.is_encrypted(recovery.data["seed"])
    assert TOTP(totp).validate_code(totp_code(TOTP_SECRET))
    assert len(codes.generate_codes()) == len(RecoveryCodes(recovery).generate_codes())


def test_migration_encrypts_secrets_stored_in_the_clear_once(admin_user):
    Authenticator.objects.create(
        user=admin_user, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
    )
    migration = importlib.import_module("accounts.migrations.0007_encrypt_mfa_secrets")

    migration.encrypt_secrets(apps, None)
    once = Authenticator.objects.get(user=admin_user).data["secret"]
    migration.encrypt_secrets(apps, None)
    twice = Authenticator.objects.get(user=admin_user).data["secret"]

    assert once == twice and crypto.decrypt(once) == TOTP_SECRET
    totp = Authenticator.objects.get(user=admin_user)
    assert TOTP(totp).validate_code(totp_code(TOTP_SECRET))


def test_an_auditor_crawling_every_admin_page_sees_no_secret(client, admin_user, auditor):
    TOTP.activate(admin_user, TOTP_SECRET)
    seed = crypto.decrypt(RecoveryCodes.activate(admin_user).instance.data["seed"])
    token = api_tokens.issue_api_token(admin_user, name="script", by=CLI).token
    create_target(name="Slack", base_url="https://slack.example.com/scim/v2", by=CLI, token=BEARER)
    secrets = [TOTP_SECRET, seed, token, BEARER]
    client.force_login(auditor)

    seen: set[str] = set()
    queue = ["/admin/"]
    while queue and len(seen) < 200:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, (url, secret[:6])
        for link in re.findall(r'href="(/admin/[^"#?]*)"', html):
            if "logout" not in link and link not in seen:
                queue.append(link)

    assert "/admin/accounts/apitoken/" in seen and "/admin/provisioning/scimtarget/" in seen
    assert any(re.match(r"/admin/provisioning/scimtarget/\d+/change/", u) for u in seen)


# --- only the allauth views Roster uses ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/email/",
        "/accounts/confirm-email/",
        "/accounts/password/set/",
        "/accounts/login/code/confirm/",
        "/accounts/3rdparty/",
    ],
)
def test_allauth_views_roster_does_not_use_are_not_mounted(client, admin_user, path):
    client.force_login(admin_user)

    assert client.get(path).status_code == 404


def test_email_cannot_be_changed_through_allauth(client, admin_user, mailoutbox):
    client.force_login(admin_user)

    response = client.post("/accounts/email/", {"action_add": "", "email": "attacker@example.com"})

    assert response.status_code == 404
    assert Person.objects.get(pk=admin_user.pk).email == "admin@example.com"
    assert mailoutbox == []


def test_the_pages_roster_links_to_are_still_mounted(client, admin_user):
    client.force_login(admin_user)

    for name in ("mfa_index", "account_change_password", "account_reset_password"):
        assert client.get(reverse(name)).status_code == 200, name
    # Turning TOTP on asks for the password again first, on a mounted page.
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 302
    assert client.get(activate.url).status_code == 200


# --- required MFA covers the API ---------------------------------------------------------------


def test_required_mfa_refuses_a_staff_session_on_the_api(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    client.force_login(admin_user)
    people = Person.objects.count()

    created = client.post(
        "/api/people/create/", {"email": "new@example.com"}, content_type="application/json"
    )
    listed = client.get("/api/people/")
    docs = client.get("/api/docs/")
    sneaky = client.get("/api/people/", headers={"Authorization": "Basic eDp5"})

    assert [created.status_code, listed.status_code, docs.status_code] == [403, 403, 403]
    assert sneaky.status_code == 403
    assert created.json()["error"]["code"] == "mfa_required"
    assert Person.objects.count() == people


def test_required_mfa_lets_a_staff_session_with_totp_use_the_api(client, admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    TOTP.activate(admin_user, TOTP_SECRET)
    client.force_login(admin_user)

    assert client.get("/api/people/").status_code == 200


def test_api_tokens_are_separate_credentials_under_required_mfa(admin_user, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    api = token_client(api_tokens.issue_api_token(admin_user, name="script", by=CLI).token)

    response = api.post("/api/people/create/", {"email": "new@example.com"}, format="json")

    assert response.status_code == 201
    assert Person.objects.filter(email="new@example.com").exists()


def test_required_mfa_leaves_people_without_a_role_to_the_apis_own_refusal(client, settings):
    settings.ROSTER_REQUIRE_STAFF_MFA = True
    client.force_login(PersonFactory(claimed=True))

    response = client.get("/api/people/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] != "mfa_required"
