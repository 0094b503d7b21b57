"""Fixtures of the import tests: clients logged in with the other roles."""

from __future__ import annotations

import pytest


@pytest.fixture
def manager_client(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client
