"""Issuing, changing and revoking SCIM clients is in the audit log, never the token."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import LifecycleEvent
from provisioning.scim_server import services
from provisioning.scim_server.models import ScimClient

pytestmark = pytest.mark.django_db


def test_issue_change_and_revoke_are_audited(admin_client, admin_user):
    admin_client.post(reverse("admin:provisioning_scimclient_add"), {"name": "Okta"})
    client = ScimClient.objects.get()
    admin_client.post(
        reverse("admin:provisioning_scimclient_change", args=[client.pk]), {"auto_invite": "on"}
    )
    services.revoke_client(client, by=admin_user)

    created, updated, revoked = LifecycleEvent.objects.filter(subject_kind="scim_client").order_by(
        "id"
    )
    assert (created.action, created.subject, created.actor_id) == (
        "created",
        "SCIM client Okta",
        admin_user.pk,
    )
    assert created.changes == {"name": [None, "Okta"], "auto_invite": [None, False], "token": "set"}
    assert (updated.action, updated.changes) == ("updated", {"auto_invite": [False, True]})
    assert (revoked.action, revoked.subject) == ("token_revoked", "SCIM client Okta")
    token = services.issue_client("Other", by=admin_user).token
    stored = json.dumps(list(LifecycleEvent.objects.values()), default=str)
    assert token not in stored
    assert client.token_hash not in stored
