"""The Entra ID client against a local identity platform and Graph, through msal and httpx."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from provisioning.idp import entra
from provisioning.idp.errors import DeltaExpired, DirectoryError
from provisioning.records import ExternalRecord


def test_full_listing_pages_999_and_reads_managers_100_at_a_time(entra_config, fake_graph):
    listing = entra.fetch_users(entra_config)

    assert len(listing.users) == 3000
    users = fake_graph.calls_to("/v1.0/users")
    plain = [c for c in users if c[1] == "/v1.0/users" and "$expand" not in c[2]]
    expanded = [c for c in users if "$expand" in c[2]]
    assert [c[2]["$top"] for c in plain][:1] == ["999"]
    assert len(plain) == 4
    assert len(expanded) == 30
    assert listing.users["00000000-0000-4000-8000-000000000007"]["managerId"] == (
        "00000000-0000-4000-8000-000000000001"
    )
    assert listing.delta_link.startswith(f"{fake_graph.base_url}/v1.0/users/delta?")


def test_records_follow_the_default_mapping(entra_config, directory):
    directory.update(7, enabled=False)
    listing = entra.fetch_users(entra_config)
    records = {r.email: r for r in entra.to_records(listing.users)}
    record = records["person000007@example.com"]

    assert dataclasses.replace(record, raw={}) == ExternalRecord(
        email="person000007@example.com",
        external_id="E000007",
        first_name="Given7",
        last_name="Family7",
        full_name="Given7 Family7",
        manager_email="person000001@example.com",
        job_title=directory.people[7].title,
        department=directory.people[7].department,
        phone_number="+442070000007",
        location="B0",
        is_active=False,
        row=record.row,
        source_id="00000000-0000-4000-8000-000000000007",
    )


def test_mapping_override_selects_and_reads_another_property(entra_config, fake_graph):
    mapping = entra.ENTRA_DEFAULT_MAPPING | {"external_id": "employeeOrgData.costCenter"}
    listing = entra.fetch_users(entra_config, mapping=mapping)
    records = {r.email: r for r in entra.to_records(listing.users, mapping)}

    assert records["person000045@example.com"].external_id == "CC5"
    selects = {c[2].get("$select") for c in fake_graph.calls_to("/v1.0/users")}
    assert any("employeeOrgData" in (s or "") for s in selects)


def test_delta_returns_only_what_changed_since_the_link(entra_config, directory):
    listing = entra.fetch_users(entra_config)
    directory.update(10, title="Chief of staff")
    directory.update(11, manager=3)
    directory.delete(12)

    changes = entra.fetch_changes(entra_config, listing.delta_link)

    assert changes.users == {
        "00000000-0000-4000-8000-000000000010": {
            "id": "00000000-0000-4000-8000-000000000010",
            "jobTitle": "Chief of staff",
        },
        "00000000-0000-4000-8000-000000000011": {
            "id": "00000000-0000-4000-8000-000000000011",
            "managerId": "00000000-0000-4000-8000-000000000003",
        },
    }
    assert changes.removed == {"00000000-0000-4000-8000-000000000012"}
    assert changes.delta_link != listing.delta_link
    again = entra.fetch_changes(entra_config, changes.delta_link)
    assert (again.users, again.removed) == ({}, set())


def test_expired_delta_link_raises_delta_expired(entra_config, fake_graph):
    listing = entra.fetch_users(entra_config)
    fake_graph.expire_delta_links()

    with pytest.raises(DeltaExpired) as caught:
        entra.fetch_changes(entra_config, listing.delta_link)
    assert caught.value.reason == "expired_delta"


def test_throttled_listing_waits_for_retry_after(entra_config, fake_graph):
    fake_graph.throttle(1, retry_after=1)
    started = time.monotonic()

    listing = entra.fetch_users(entra_config, with_delta=False)

    assert time.monotonic() - started >= 1.0
    assert len(listing.users) == 3000


def test_group_members_include_nested_members(entra_config, fake_graph):
    fake_graph.groups["g-1"] = {4, 5, 6}
    with entra.GraphClient(entra_config) as client:
        ids = entra.group_member_ids(entra_config, ["g-1"], client=client)
    assert ids == {f"00000000-0000-4000-8000-00000000000{i}" for i in (4, 5, 6)}


def test_connection_succeeds(entra_config):
    assert entra.test_connection(entra_config) == 1


def test_connection_reports_a_wrong_secret(entra_config):
    config = dataclasses.replace(entra_config, client_secret="wrong")
    with pytest.raises(DirectoryError) as caught:
        entra.test_connection(config)
    assert caught.value.reason == "credentials"
    assert "AADSTS7000215" in caught.value.message


def test_connection_reports_an_unknown_tenant(entra_config):
    config = dataclasses.replace(entra_config, tenant_id="no-such-tenant")
    with pytest.raises(DirectoryError) as caught:
        entra.test_connection(config)
    assert caught.value.reason == "credentials"
    assert "no-such-tenant" in caught.value.message


def test_connection_reports_missing_admin_consent(entra_config, fake_graph):
    fake_graph.consented = False
    with pytest.raises(DirectoryError) as caught:
        entra.test_connection(entra_config)
    assert caught.value.reason == "consent"
    assert "AADSTS65001" in caught.value.message


def test_connection_reports_a_missing_permission(entra_config, fake_graph):
    fake_graph.has_permission = False
    with pytest.raises(DirectoryError) as caught:
        entra.test_connection(entra_config)
    assert caught.value.reason == "consent"
    assert "User.Read.All" in caught.value.message


def test_connection_reports_an_unreachable_service(entra_config):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = dataclasses.replace(entra_config, authority_host=f"https://127.0.0.1:{port}")
    with pytest.raises(DirectoryError) as caught:
        entra.test_connection(config)
    assert caught.value.reason == "unreachable"
