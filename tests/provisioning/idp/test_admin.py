"""The identity-provider pages of the admin: System administrators only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import Person
from provisioning.idp.models import IdentitySource, SyncRun
from tests.provisioning.idp.test_sync import connect_google

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_add_form_saves_encrypted_credentials_and_never_shows_them(admin_client, fake_graph):
    response = admin_client.post(
        reverse("admin:provisioning_identitysource_add"),
        {
            "name": "Entra",
            "kind": "entra",
            "tenant_id": fake_graph.tenant_id,
            "client_id": fake_graph.client_id,
            "authority_host": fake_graph.base_url,
            "graph_url": fake_graph.base_url,
            "ca_bundle": str(fake_graph.cert_path),
            "client_secret": fake_graph.client_secret,
            "scope_kind": "everyone",
            "scope_text": "",
            "mapping_overrides": "{}",
            "sync_every": "360",
            "guard_mode": "default",
            "guard_value": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    source = IdentitySource.objects.get()
    assert source.encrypted_credentials and source.sync_interval_minutes == 360
    page = admin_client.get(reverse("admin:provisioning_identitysource_change", args=[source.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert fake_graph.client_secret not in body
    assert source.encrypted_credentials not in body
    assert "mail | userPrincipalName" in body


def test_sync_now_and_confirm_from_the_admin(admin_client, admin_user, fake_google):
    source = connect_google(
        fake_google, admin_user, scope_kind="departments", scope_values=["Legal"]
    )

    response = admin_client.post(
        reverse("admin:provisioning_identitysource_sync_detail", args=[source.pk]),
        {"confirm": "yes"},
    )

    run = SyncRun.objects.get()
    assert response.status_code == 302
    assert run.status == SyncRun.Status.PREVIEW
    page = admin_client.get(reverse("admin:provisioning_syncrun_change", args=[run.pk]))
    assert page.status_code == 200 and "person" in page.content.decode()
    admin_client.post(
        reverse("admin:provisioning_syncrun_confirm_detail", args=[run.pk]),
        {"confirm": "yes", "invite_mode": "none"},
    )
    run.refresh_from_db()
    assert run.status == SyncRun.Status.DONE
    assert Person.objects.filter(source="google").count() == run.count_new > 0


@pytest.mark.parametrize("role", ["account_manager", "auditor"])
def test_other_roles_cannot_manage_sources(client, admin_user, fake_google, role, request):
    someone = request.getfixturevalue(role)
    client.force_login(someone)
    source = connect_google(fake_google, admin_user)

    sync = client.post(
        reverse("admin:provisioning_identitysource_sync_detail", args=[source.pk]),
        {"confirm": "yes"},
    )
    add = client.post(
        reverse("admin:provisioning_identitysource_add"),
        {"name": "Other", "kind": "google", "scope_kind": "everyone"},
    )

    assert sync.status_code == 403
    assert add.status_code == 403
    assert SyncRun.objects.count() == 0
    assert IdentitySource.objects.count() == 1
    assert fake_google.calls == []
    assert json.loads(source.periodic_task.args) == [source.pk]


def test_an_auditor_sees_an_identity_provider_read_only(client, admin_user, auditor, fake_google):
    source = connect_google(fake_google, admin_user)
    client.force_login(auditor)

    page = client.get(reverse("admin:provisioning_identitysource_change", args=[source.pk]))

    assert page.status_code == 200
    body = page.content.decode()
    assert "Workspace" in body
    assert 'name="_save"' not in body
    assert fake_google.calls == []
