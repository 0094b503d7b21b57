"""Issuing and revoking SCIM clients in the admin panel and on the command line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from provisioning.scim_server import services
from provisioning.scim_server.models import ScimClient

ADD = "/admin/provisioning/scimclient/add/"
LIST = "/admin/provisioning/scimclient/"


def test_an_administrator_issues_a_client_and_sees_its_token_once(admin_client, admin_user):
    response = admin_client.post(ADD, {"name": "Entra", "auto_invite": "on"}, follow=True)

    assert response.status_code == 200
    client = ScimClient.objects.get()
    (message,) = [str(m) for m in response.context["messages"] if "<code>" in str(m)]
    token = message.split("<code>")[1].split("</code>")[0]
    assert services.hash_token(token) == client.token_hash
    assert (client.name, client.auto_invite, client.created_by) == ("Entra", True, admin_user)
    assert token not in admin_client.get(f"{LIST}{client.pk}/change/").content.decode()
    assert services.authenticate(token).name == "Entra"


def test_an_administrator_revokes_clients_from_the_list(admin_client):
    issued = services.issue_client("Okta", by=services.Actor("cli", "Command line"))

    admin_client.post(LIST, {"action": "revoke_selected", "_selected_action": [issued.client.pk]})

    client = ScimClient.objects.get()
    assert (client.is_active, client.revoked_at is not None) == (False, True)
    assert services.authenticate(issued.token) is None


def test_account_managers_cannot_see_or_issue_clients(client, account_manager):
    client.force_login(account_manager)

    assert client.get(LIST).status_code == 403
    assert client.post(ADD, {"name": "Sneaky"}).status_code == 403
    assert not ScimClient.objects.exists()


def test_auditors_may_look_but_not_issue(client, auditor):
    client.force_login(auditor)

    assert client.get(LIST).status_code == 200
    assert client.post(ADD, {"name": "Sneaky"}).status_code == 403
    assert not ScimClient.objects.exists()


def test_the_command_creates_lists_and_revokes(db):
    out = StringIO()
    call_command("scim_client", "create", "Okta", "--auto-invite", "--json", stdout=out)
    created = json.loads(out.getvalue())

    assert created["name"] == "Okta"
    assert created["auto_invite"] is True
    assert services.authenticate(created["token"]).name == "Okta"

    out = StringIO()
    call_command("scim_client", "list", "--json", stdout=out)
    assert [(c["name"], c["active"]) for c in json.loads(out.getvalue())] == [("Okta", True)]

    call_command("scim_client", "revoke", "okta", stdout=StringIO())
    assert services.authenticate(created["token"]) is None

    with pytest.raises(CommandError, match="already exists"):
        call_command("scim_client", "create", "OKTA", stdout=StringIO())
    with pytest.raises(CommandError, match="No SCIM client named Nobody"):
        call_command("scim_client", "revoke", "Nobody", stdout=StringIO())
