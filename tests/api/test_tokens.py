"""API tokens: issued once, stored hashed, refused when revoked or wrong."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.actors import CLI
from accounts.api_tokens import hash_token
from accounts.models import ApiToken, Person
from tests.api.conftest import token_client, token_for
from tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LIST = "api:person-list"


def test_command_issues_a_token_shown_once_and_stores_its_hash(admin_user, capsys):
    call_command("api_token", "create", "ADMIN@example.com", "HR sync", "--json")

    issued = json.loads(capsys.readouterr().out)
    row = ApiToken.objects.get()
    assert (issued["email"], issued["name"], issued["prefix"]) == (
        "admin@example.com",
        "HR sync",
        issued["token"][:12],
    )
    assert row.token_hash == hash_token(issued["token"])
    assert issued["token"] not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert token_client(issued["token"]).get(reverse(LIST)).status_code == 200


def test_command_revokes_a_token_by_name(admin_user):
    token = token_for(admin_user, name="nightly")

    call_command("api_token", "revoke", "admin@example.com", "nightly")

    response = token_client(token).get(reverse(LIST))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_command_refuses_a_person_without_an_admin_role(person):
    PersonFactory(email="plain@example.com", claimed=True)

    with pytest.raises(CommandError, match="has no admin role"):
        call_command("api_token", "create", "plain@example.com", "x")

    assert not ApiToken.objects.exists()


def test_two_live_tokens_of_a_person_cannot_share_a_name(admin_user):
    token_for(admin_user, name="same")

    with pytest.raises(CommandError, match="already has a token named same"):
        call_command("api_token", "create", "admin@example.com", "same")


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_both_header_schemes_are_accepted(admin_user, scheme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token_for(admin_user)}")

    assert client.get(reverse(LIST)).status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer rst_nope", "Token " + "x" * 300]
)
def test_malformed_or_unknown_tokens_are_refused(admin_user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(reverse(LIST))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="Roster API"'


def test_a_deactivated_persons_token_is_refused(admin_user):
    token = token_for(admin_user)
    other = PersonFactory(admin=True, email="other-admin@example.com")
    services.deactivate_person(admin_user, by=other)

    assert token_client(token).get(reverse(LIST)).status_code == 401


def test_a_token_acts_with_its_persons_current_role(account_manager):
    token = token_for(account_manager)
    client = token_client(token)
    assert client.get(reverse("api:scim-target-list")).status_code == 403

    services.set_role(account_manager, role="admin", by=CLI)

    assert client.get(reverse("api:scim-target-list")).status_code == 200


def test_use_is_recorded_at_most_once_a_minute(admin_user):
    token = token_for(admin_user)
    client = token_client(token)

    client.get(reverse(LIST))
    first = ApiToken.objects.get().last_used_at
    client.get(reverse(LIST))

    assert first is not None
    assert ApiToken.objects.get().last_used_at == first


def test_admin_issues_a_token_and_shows_it_once(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {"person": admin_user.pk, "name": "Deploy"},
        follow=True,
    )

    row = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"] if "<code>" in str(m)]
    assert row.name == "Deploy"
    assert len(shown) == 1
    token = shown[0].split("<code>")[1].split("</code>")[0]
    assert token.startswith(row.prefix)
    assert row.token_hash == hash_token(token)


def test_admin_refuses_a_token_for_someone_deactivated(admin_client):
    gone = PersonFactory(email="gone@example.com", status=Person.Status.DEACTIVATED)

    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"), {"person": gone.pk, "name": "x"}
    )

    assert response.status_code == 200
    assert "is not active" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_account_managers_cannot_issue_tokens_in_the_admin(client, account_manager):
    client.force_login(account_manager)

    response = client.post(
        reverse("admin:accounts_apitoken_add"), {"person": account_manager.pk, "name": "x"}
    )

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_admin_pages_of_tokens_render_without_the_secret(admin_client, admin_user):
    token = token_for(admin_user, name="Nightly")
    row = ApiToken.objects.get()

    add = admin_client.get(reverse("admin:accounts_apitoken_add"))
    listing = admin_client.get(reverse("admin:accounts_apitoken_changelist"))
    detail = admin_client.get(reverse("admin:accounts_apitoken_change", args=[row.pk]))

    assert (add.status_code, listing.status_code, detail.status_code) == (200, 200, 200)
    assert row.prefix in listing.content.decode()
    assert token not in listing.content.decode() + detail.content.decode()
    assert row.token_hash not in detail.content.decode()
