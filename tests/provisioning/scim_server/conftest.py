"""Fixtures for the SCIM server: an issued client and a client that sends its token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.actors import CLI
from provisioning.scim_server import services

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    settings.ROSTER_SCIM_RATE_LIMIT = ""
    settings.ROSTER_SCIM_DELETE_MODE = "deactivate"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issued(db):
    return services.issue_client("Okta", by=CLI)


class Scim:
    """A Django test client speaking SCIM with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = {}
        if self.token is not None:
            out["Authorization"] = f"Bearer {self.token}"
        out.update(headers or {})
        return out

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.client.get(f"/scim/v2/{path}", params, headers=self._headers(headers))

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(
            f"/scim/v2/{path}",
            data=data,
            content_type="application/scim+json",
            headers=self._headers(headers),
        )

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None):
        return self._send("post", path, body, headers)

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None):
        return self._send("put", path, body, headers)

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None):
        return self._send("patch", path, body, headers)

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(f"/scim/v2/{path}", headers=self._headers(headers))


@pytest.fixture
def scim(issued):
    return Scim(issued.token)


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def new_user(email: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    body = {
        "schemas": [CORE],
        "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": True,
    }
    body.update(extra)
    return body
