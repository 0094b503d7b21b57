"""Fixtures for the REST API: clients signed in by token or session, per role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import api_tokens
from accounts.actors import CLI
from tests.factories import PersonFactory

ROLES = ("admin", "account_manager", "auditor")


def token_for(person, name: str = "script") -> str:
    return api_tokens.issue_api_token(person, name=name, by=CLI).token


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_admin(admin_user):
    return token_client(token_for(admin_user))


@pytest.fixture
def api_manager(account_manager):
    return token_client(token_for(account_manager))


@pytest.fixture
def api_auditor(auditor):
    return token_client(token_for(auditor))


@pytest.fixture
def make_person(db):
    return PersonFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
