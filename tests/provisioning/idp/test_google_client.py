"""The Google Workspace client against a local Directory API, through the real libraries."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from provisioning.idp import google
from provisioning.idp.errors import DirectoryError
from provisioning.idp.mapping import GOOGLE_DEFAULT_MAPPING, effective_mapping
from provisioning.records import ExternalRecord
from tests.provisioning.idp.fake_google import new_private_key


def test_full_listing_reads_every_user_500_per_page(google_config, fake_google):
    listing = google.fetch_users(google_config)

    assert len(listing.users) == 3000
    assert listing.requests == 6
    lists = fake_google.calls_to("/admin/directory/v1/users")
    assert [c[2]["maxResults"] for c in lists] == ["500"] * 6
    assert {c[2]["customer"] for c in lists} == {"my_customer"}
    assert len(fake_google.calls_to("/token")) == 1


def test_records_follow_the_default_mapping(google_config, directory):
    directory.update(7, enabled=False)
    users = google.fetch_users(google_config).users
    record = next(r for r in google.to_records(users) if r.email == "person000007@example.com")

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
        source_id=str(10**20 + 7),
    )


def test_mapping_override_reads_another_field(google_config):
    mapping = effective_mapping(
        GOOGLE_DEFAULT_MAPPING, {"external_id": "organizations[primary].costCenter"}
    )
    users = google.fetch_users(google_config).users
    records = {r.email: r for r in google.to_records(users, mapping)}

    assert records["person000045@example.com"].external_id == "CC5"


def test_department_scope_is_read_from_the_records_not_the_lagging_search_index(
    google_config, directory, fake_google
):
    fake_google.freeze_index()
    mover = next(p for p in directory.people if p.department == "Finance")
    leaver = next(p for p in directory.people if p.department == "Sales")
    directory.update(mover.index, department="Sales")
    directory.update(leaver.index, department="Legal")

    listing = google.fetch_users(google_config, google.GoogleScope(departments=["Sales"]))

    expected = {p.email for p in directory.people if p.department == "Sales"}
    assert mover.email in expected and leaver.email not in expected
    assert {u["primaryEmail"] for u in listing.users} == expected
    assert len(expected) == 408
    queries = [c[2].get("query") for c in fake_google.calls_to("/admin/directory/v1/users")]
    assert set(queries) == {None}


def test_org_unit_scope_includes_units_below(google_config, directory):
    directory.update(9, org_unit="/Sales/EMEA")

    listing = google.fetch_users(google_config, google.GoogleScope(org_units=["/Sales"]))

    expected = {p.email for p in directory.people if p.org_unit.startswith("/Sales")}
    assert "person000009@example.com" in expected
    assert {u["primaryEmail"] for u in listing.users} == expected


def test_rate_limit_403_is_retried_with_backoff(google_config, fake_google):
    fake_google.rate_limited = 2
    fake_google.rate_limit_reason = "quotaExceeded"

    listing = google.fetch_users(google_config)

    assert len(listing.users) == 3000
    assert fake_google.rate_limited == 0


def test_a_403_that_is_not_a_rate_limit_is_a_refusal(google_config, fake_google):
    fake_google.admin_can_read = False

    with pytest.raises(DirectoryError) as caught:
        google.fetch_users(google_config)

    assert caught.value.reason == DirectoryError.CONSENT


def test_archived_users_are_inactive_and_the_desk_placeholder_is_no_location(
    google_config, directory
):
    directory.update(5, archived=True, building="")
    directory.update(6, phone="", mobile="+447700900123")

    users = google.fetch_users(google_config).users
    records = {r.email: r for r in google.to_records(users)}

    assert records["person000005@example.com"].is_active is False
    assert records["person000005@example.com"].location == ""
    assert records["person000006@example.com"].phone_number == "+447700900123"
    assert records["person000004@example.com"].is_active is True


def test_manager_scope_includes_the_manager_and_the_whole_chain(google_config, directory):
    listing = google.fetch_users(
        google_config, google.GoogleScope(managers=["person000002@example.com"])
    )

    expected = {p.email for p in directory.reports_under(2)} | {"person000002@example.com"}
    assert {u["primaryEmail"] for u in listing.users} == expected
    # Several levels deep: 2 -> 13..18 -> 79..114 -> ...
    assert "person000500@example.com" in expected


def test_throttled_listing_waits_for_retry_after(google_config, fake_google):
    fake_google.throttle(1, retry_after=1)
    started = time.monotonic()

    listing = google.fetch_users(google_config)

    assert time.monotonic() - started >= 1.0
    assert len(listing.users) == 3000


def test_connection_succeeds_with_delegation(google_config):
    assert google.test_connection(google_config) == 1


def test_connection_reports_a_key_google_does_not_know(google_config, fake_google):
    config = dataclasses.replace(
        google_config, service_account_info=fake_google.service_account_info(key=new_private_key())
    )
    with pytest.raises(DirectoryError) as caught:
        google.test_connection(config)
    assert caught.value.reason == "credentials"
    assert "Invalid JWT Signature" in caught.value.message


def test_connection_reports_a_malformed_key(google_config):
    config = dataclasses.replace(google_config, service_account_info={"type": "service_account"})
    with pytest.raises(DirectoryError) as caught:
        google.test_connection(config)
    assert caught.value.reason == "credentials"


def test_connection_reports_missing_delegation(google_config, fake_google):
    fake_google.delegated_scopes = set()
    with pytest.raises(DirectoryError) as caught:
        google.test_connection(google_config)
    assert caught.value.reason == "consent"
    assert "domain-wide delegation" in caught.value.message


def test_connection_reports_an_administrator_without_rights(google_config, fake_google):
    fake_google.admin_can_read = False
    with pytest.raises(DirectoryError) as caught:
        google.test_connection(google_config)
    assert caught.value.reason == "consent"


def test_connection_reports_an_unreachable_service(google_config):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = dataclasses.replace(google_config, api_endpoint=f"http://127.0.0.1:{port}/")
    with pytest.raises(DirectoryError) as caught:
        google.test_connection(config)
    assert caught.value.reason == "unreachable"
