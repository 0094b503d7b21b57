"""Shared fixtures. Tests that need PostgreSQL, Redis or Chromium carry a marker;
under CI (``CI=true``) a skipped one of those fails the run instead."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.factories import PersonFactory

PASSWORD = "correct horse battery staple"
# Staff fixtures sit outside the departments and locations factories cycle
# through, so filtering test people never picks them up by chance.
STAFF_PLACE = {"department": "IT", "location": "Head office"}


def staff_named(first: str, last: str) -> dict[str, str]:
    # Fixed names too: a random one could match a test's search.
    return {"first_name": first, "last_name": last, "full_name": f"{first} {last}", **STAFF_PLACE}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth counts sign-in and reset attempts in the cache (locmem, one per
    # process): without this, one test's failed sign-ins lock out the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not os.environ.get(
        "CELERY_BROKER_URL", ""
    ).startswith("redis"):
        _skip_or_fail("needs Redis: set CELERY_BROKER_URL=redis://…")
    if request.node.get_closest_marker("browser") and not os.path.exists("/usr/bin/chromium"):
        _skip_or_fail("needs Debian chromium at /usr/bin/chromium")


@pytest.fixture
def admin_user(db):
    return PersonFactory(admin=True, email="admin@example.com", **staff_named("Alex", "Admin"))


@pytest.fixture
def account_manager(db):
    return PersonFactory(
        account_manager=True, email="manager@example.com", **staff_named("Morgan", "Manager")
    )


@pytest.fixture
def auditor(db):
    return PersonFactory(
        auditor=True, email="auditor@example.com", **staff_named("Avery", "Auditor")
    )


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
