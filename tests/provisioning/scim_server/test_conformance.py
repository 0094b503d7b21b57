"""scim2-tester's conformance checks, run in-process against Roster's WSGI app."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

pytestmark = pytest.mark.postgres


class _Fresh(Sequence):
    """Examples that are new on every draw: scim2-tester picks a random example
    for an attribute that has some, and Roster needs real, unique emails and
    valid phone numbers where scim2-tester would otherwise send random text."""

    def __init__(self, make) -> None:
        self.make = make
        self.counter = itertools.count(1)

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.make(next(self.counter))]
        if index not in (0, -1):
            raise IndexError(index)
        return self.make(next(self.counter))


def _client(token: str) -> WSGISCIMClient:
    client = WSGISCIMClient(
        get_wsgi_application(),
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
    )
    client.discover()
    user = client.get_resource_model("User")
    user.model_fields["user_name"].examples = _Fresh(lambda n: f"tester{n}@example.com")
    phone = user.model_fields["phone_numbers"].annotation.__args__[0].__args__[0]
    phone.model_fields["value"].examples = _Fresh(lambda n: f"+4420794600{n % 100:02d}")
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
    # In the default mode a deleted person stays, deactivated, so the one
    # check that expects a 404 after DELETE is left out.
    results = check_server(_client(issued.token), exclude_tags={"crud:delete"})

    assert _failures(results) == []
