from __future__ import annotations

import pytest

from provisioning.idp.entra import EntraConfig
from provisioning.idp.google import GoogleConfig
from tests.provisioning.idp.directory import Directory
from tests.provisioning.idp.fake_google import FakeGoogle
from tests.provisioning.idp.fake_graph import FakeGraph

PEOPLE = 3000


@pytest.fixture
def directory() -> Directory:
    return Directory.generate(PEOPLE)


@pytest.fixture
def fake_google(directory):
    server = FakeGoogle(directory).start()
    yield server
    server.stop()


@pytest.fixture
def fake_graph(directory, tmp_path):
    server = FakeGraph(directory, workdir=tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def google_config(fake_google) -> GoogleConfig:
    return GoogleConfig(
        service_account_info=fake_google.service_account_info(),
        admin_email="admin@example.com",
        customer="my_customer",
        api_endpoint=fake_google.api_endpoint,
    )


@pytest.fixture
def entra_config(fake_graph) -> EntraConfig:
    return EntraConfig(
        tenant_id=fake_graph.tenant_id,
        client_id=fake_graph.client_id,
        client_secret=fake_graph.client_secret,
        authority_host=fake_graph.base_url,
        graph_url=fake_graph.base_url,
        ca_bundle=str(fake_graph.cert_path),
    )
