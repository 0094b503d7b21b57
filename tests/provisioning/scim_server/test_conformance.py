"""scim2-tester's conformance checks with its default generators, in-process
against Roster's WSGI app (test_conformance_http.py runs them over HTTP)."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

pytestmark = pytest.mark.postgres


def _client(token: str) -> WSGISCIMClient:
    client = WSGISCIMClient(
        get_wsgi_application(),
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
    )
    client.discover()
    return client


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # As Django's test client does: the WSGI handler would otherwise close the
    # connection that holds the test's transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _failures(results) -> list[str]:
    return [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL)
    ]


def test_scim2_tester_finds_no_failure_when_delete_deletes(settings, issued):
    settings.ROSTER_SCIM_DELETE_MODE = "delete"
    results = check_server(_client(issued.token))

    assert _failures(results) == []
    assert sum(r.status == Status.SUCCESS for r in results) >= 60
    # Groups are checked too: create, get, list, search, PATCH add/replace/remove, PUT, DELETE.
    group_checks = {r.title for r in results if r.resource_type == "Group"}
    assert sum(r.status == Status.SUCCESS and r.resource_type == "Group" for r in results) >= 15
    assert {"object_creation", "object_query", "object_replacement", "object_deletion"} <= (
        group_checks
    )


def test_scim2_tester_finds_no_failure_when_delete_deactivates(issued):
    # The person stays in Roster, deactivated, but the resource answers 404.
    results = check_server(_client(issued.token))

    assert _failures(results) == []
