"""The OpenAPI schema and its documentation pages, served without the internet."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_schema_lists_every_endpoint_with_token_auth(api_auditor):
    response = api_auditor.get(reverse("api:schema"), {"format": "json"})

    schema = response.json()
    assert response.status_code == 200
    assert schema["info"]["title"] == "Roster API"
    assert "/api/people/{person_id}/deactivate/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token issued by a System administrator "
        "(`manage.py api_token create EMAIL NAME`).",
    }
    create = schema["paths"]["/api/people/create/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]


def test_docs_page_uses_local_assets_only(admin_client):
    response = admin_client.get(reverse("api:docs"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = admin_client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
