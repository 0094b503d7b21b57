"""Who may call the SCIM server, and how often."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.actors import CLI
from accounts.models import Person
from provisioning.scim_server import services
from provisioning.scim_server.models import ScimClient
from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import ERROR, Scim, new_user, patch_op

ENDPOINTS = [
    ("get", "ServiceProviderConfig", None, 200),
    ("get", "Schemas", None, 200),
    ("get", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None, 200),
    ("get", "ResourceTypes", None, 200),
    ("get", "ResourceTypes/User", None, 200),
    ("get", "Users", None, 200),
    ("post", "Users", new_user("new@example.com"), 201),
    ("post", "Users/.search", {"filter": 'userName eq "x@example.com"'}, 200),
    ("post", ".search", {}, 200),
    ("get", "Users/{id}", None, 200),
    ("put", "Users/{id}", new_user("kept@example.com"), 200),
    ("patch", "Users/{id}", patch_op({"op": "replace", "path": "title", "value": "CTO"}), 200),
    ("delete", "Users/{id}", None, 204),
    ("get", "Groups", None, 200),
]


def _call(scim: Scim, method: str, path: str, body, person_id: int):
    path = path.replace("{id}", str(person_id))
    if body is None:
        return getattr(scim, method)(path)
    return getattr(scim, method)(path, body)


@pytest.mark.parametrize(("method", "path", "body", "ok"), ENDPOINTS)
def test_every_endpoint_refuses_missing_bad_and_revoked_tokens(db, method, path, body, ok):
    person = PersonFactory(email="kept@example.com")
    good = services.issue_client("Entra", by=CLI)
    revoked = services.issue_client("Old", by=CLI)
    services.revoke_client(revoked.client, by=CLI)
    before = list(Person.objects.values_list("pk", "version", "status").order_by("pk"))

    for token in (None, "rsc_not-a-real-token", revoked.token):
        response = _call(Scim(token), method, path, body, person.pk)
        assert response.status_code == 401
        assert response.json()["schemas"] == [ERROR]
        assert response.json()["status"] == "401"
        assert response["WWW-Authenticate"] == 'Bearer realm="Roster SCIM"'
    assert list(Person.objects.values_list("pk", "version", "status").order_by("pk")) == before

    response = _call(Scim(good.token), method, path, body, person.pk)
    assert response.status_code == ok


def test_other_authorization_schemes_are_refused(issued):
    response = Scim(None).get("Users", headers={"Authorization": f"Basic {issued.token}"})

    assert response.status_code == 401


def test_revocation_takes_effect_at_once_in_the_same_process(scim, issued):
    assert scim.get("Users").status_code == 200

    services.revoke_client(ScimClient.objects.get(pk=issued.client.pk), by=CLI)

    assert scim.get("Users").status_code == 401


def test_tokens_are_stored_only_as_hashes(issued):
    client = ScimClient.objects.get(pk=issued.client.pk)

    assert issued.token.startswith("rsc_")
    assert client.token_hash == services.hash_token(issued.token)
    assert client.token_prefix == issued.token[:12]
    assert issued.token not in str(ScimClient.objects.filter(pk=client.pk).values().get())


def test_last_used_at_is_written_at_most_once_a_minute(scim, issued, django_assert_num_queries):
    scim.get("ServiceProviderConfig")
    first = ScimClient.objects.get(pk=issued.client.pk).last_used_at
    assert first is not None

    with django_assert_num_queries(0):
        scim.get("ServiceProviderConfig")
        scim.get("ServiceProviderConfig")

    assert ScimClient.objects.get(pk=issued.client.pk).last_used_at == first


def test_over_the_rate_limit_answers_429_with_retry_after(settings, scim):
    settings.ROSTER_SCIM_RATE_LIMIT = "3/m"

    statuses = [scim.get("ServiceProviderConfig").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = scim.get("ServiceProviderConfig")
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "429"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_rate_limits_are_counted_per_client(settings, scim):
    settings.ROSTER_SCIM_RATE_LIMIT = "1/m"
    other = services.issue_client("Entra", by=CLI)

    assert scim.get("ServiceProviderConfig").status_code == 200
    assert scim.get("ServiceProviderConfig").status_code == 429
    assert Scim(other.token).get("ServiceProviderConfig").status_code == 200


def test_issuing_needs_a_role_that_may_add_scim_clients(db):
    from accounts.exceptions import NotAllowed

    manager = PersonFactory(account_manager=True)
    auditor = PersonFactory(auditor=True)

    for person in (manager, auditor):
        with pytest.raises(NotAllowed):
            services.issue_client("Sneaky", by=person)
    assert ScimClient.objects.count() == 0
    cache.clear()
