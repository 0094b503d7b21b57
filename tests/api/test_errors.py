"""One error shape for malformed, oversized or forged requests; CSRF; rate limits."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CREATE = "api:person-create"


def test_malformed_json_is_a_bad_request(api_admin):
    response = api_admin.post(
        reverse(CREATE), '{"email": "a@example.com",', content_type="application/json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("malformed_request", {})
    assert error["message"].startswith("The body is not valid JSON")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "NaN", "null"])
def test_json_that_is_not_an_object_is_a_bad_request(api_admin, body):
    response = api_admin.post(reverse(CREATE), body, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not Person.objects.exclude(role="admin").exists()


def test_an_oversized_body_is_refused(api_admin, settings):
    settings.ROSTER_API_MAX_BODY_BYTES = 1000
    body = '{"email": "big@example.com", "job_title": "' + "x" * 2000 + '"}'

    response = api_admin.post(reverse(CREATE), body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Person.objects.filter(email="big@example.com").exists()


def test_too_long_values_are_field_errors(api_admin):
    response = api_admin.post(
        reverse(CREATE), {"email": "a@example.com", "job_title": "x" * 201}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["job_title"]


def test_an_unsupported_media_type_is_refused(api_admin):
    response = api_admin.post(reverse(CREATE), "email=a", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_session_writes_need_the_csrf_token(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)

    refused = client.post(reverse(CREATE), {"email": "s@example.com"}, format="json")
    client.get(reverse("api:person-list"))  # any page; sets no cookie by itself
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    accepted = client.post(
        reverse(CREATE),
        {"email": "s@example.com"},
        format="json",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]
    assert accepted.status_code == 201


def test_token_writes_need_no_csrf_token(api_admin):
    api_admin.handler.enforce_csrf_checks = True

    response = api_admin.post(reverse(CREATE), {"email": "t@example.com"}, format="json")

    assert response.status_code == 201


def test_token_callers_are_rate_limited(api_admin, settings):
    settings.ROSTER_API_TOKEN_RATE_LIMIT = "2/min"

    codes = [api_admin.get(reverse("api:person-list")).status_code for _ in range(3)]
    limited = api_admin.get(reverse("api:person-list"))

    assert codes == [200, 200, 429]
    assert limited.json()["error"]["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0


def test_each_token_has_its_own_allowance(api_admin, api_manager, settings):
    settings.ROSTER_API_TOKEN_RATE_LIMIT = "1/min"

    assert api_admin.get(reverse("api:person-list")).status_code == 200
    assert api_manager.get(reverse("api:person-list")).status_code == 200
    assert api_admin.get(reverse("api:person-list")).status_code == 429


@pytest.mark.parametrize(
    "cursor",
    [
        "cD1hYmM=",  # "p=abc": a position that is not an id
        "not-base64!",
        "cj0xJnA9OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",  # "r=1&p=" a number too large
    ],
)
def test_a_malformed_cursor_is_a_bad_request(api_admin, cursor):
    response = api_admin.get(reverse("api:person-list"), {"cursor": cursor})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == (
        "The cursor is not valid: use the next or previous link of an earlier page."
    )
