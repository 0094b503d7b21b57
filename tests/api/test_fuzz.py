"""Property-based fuzzing of every API operation from the OpenAPI schema, in-process
through the WSGI application: whatever the input, the API answers without a 5xx.

Bounded to a few examples per operation so the suite stays fast.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import token_for

pytestmark = [pytest.mark.postgres]

RAW = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
schema = schemathesis.openapi.from_dict(RAW)
APP = get_wsgi_application()


@pytest.fixture
def auth_headers(admin_user):
    return {"Authorization": f"Bearer {token_for(admin_user)}"}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    # The WSGI handler closes "old" connections around each request, which
    # would close the test's transaction; Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_the_api_fail(case, auth_headers):
    response = case.call(app=APP, headers=auth_headers)

    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        assert response.headers.get("content-type") == ["application/json"], response.text[:300]
        assert set(response.json()["error"]) == {"code", "message", "fields"}
