"""Stored identity-provider credentials never follow an endpoint to another host."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource
from provisioning.secrets import decrypt_json
from tests.provisioning.idp.test_sync import connect_entra, connect_google

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def entra_form(source: IdentitySource, **changes: str) -> dict[str, str]:
    data = {
        "name": source.name,
        "kind": source.kind,
        **source.connection,
        "client_secret": "",
        "service_account_json": "",
        "scope_kind": "everyone",
        "scope_text": "",
        "mapping_overrides": "{}",
        "sync_every": "60",
        "guard_mode": "default",
        "guard_value": "0",
    }
    data.update(changes)
    return data


def post(admin_client, source: IdentitySource, **changes: str):
    url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
    return admin_client.post(url, entra_form(source, **changes))


@pytest.mark.parametrize("key", ["authority_host", "graph_url"])
def test_moving_an_entra_endpoint_without_the_secret_is_refused(
    admin_client, admin_user, fake_graph, key
):
    source = connect_entra(fake_graph, admin_user)
    before = IdentitySource.objects.values().get(pk=source.pk)

    response = post(admin_client, source, **{key: "https://attacker.example"})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"The {key.replace('_', ' ')} now points at another host: enter the client secret "
        "again, or the stored one would be sent there."
    ]
    assert IdentitySource.objects.values().get(pk=source.pk) == before


def test_moving_an_entra_endpoint_with_the_secret_saves(admin_client, admin_user, fake_graph):
    source = connect_entra(fake_graph, admin_user)

    response = post(
        admin_client, source, graph_url="https://graph.example", client_secret="new-secret"
    )

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.connection["graph_url"] == "https://graph.example"
    assert decrypt_json(source.encrypted_credentials) == {"client_secret": "new-secret"}


def test_a_new_path_on_the_same_host_keeps_the_secret(admin_client, admin_user, fake_graph):
    source = connect_entra(fake_graph, admin_user)
    stored = source.encrypted_credentials

    response = post(admin_client, source, graph_url=fake_graph.base_url + "/beta-proxy")

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.connection["graph_url"] == fake_graph.base_url + "/beta-proxy"
    assert source.encrypted_credentials == stored


def test_moving_the_google_directory_endpoint_needs_the_key(admin_user, fake_google):
    source = connect_google(fake_google, admin_user)
    moved = {**source.connection, "api_endpoint": "https://directory.attacker.example/"}

    with pytest.raises(idp_services.SourceProblem) as refused:
        idp_services.update_source(source, by=admin_user, connection=moved)

    assert "enter the service-account key again" in refused.value.message
    source.refresh_from_db()
    assert source.connection["api_endpoint"] == fake_google.api_endpoint
    # Emptying the setting moves it to Google's own host: the key is asked for too.
    with pytest.raises(idp_services.SourceProblem):
        idp_services.update_source(
            source, by=admin_user, connection={"admin_email": "admin@example.com"}
        )
