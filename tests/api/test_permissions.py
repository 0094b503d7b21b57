"""Every API endpoint, for every kind of caller: the status code, and that a
refused request changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.actors import CLI
from accounts.models import ApiToken, IdempotencyKey, Invitation, LifecycleEvent, Person
from accounts.roles import Role
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.imports import services as import_services
from provisioning.imports.models import ImportJob
from provisioning.scim.models import ScimRun, ScimTarget
from tests.api.conftest import token_client, token_for
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ALL = {"admin", "account_manager", "auditor"}
PEOPLE_WRITERS = {"admin", "account_manager"}
INTEGRATION_READERS = {"admin", "auditor"}
ADMIN = {"admin"}


@dataclass
class World:
    """The rows every endpoint acts on, made fresh for each test."""

    staged: Person
    invited: Person
    active: Person
    deactivated: Person
    job: ImportJob
    target: ScimTarget
    scim_run: ScimRun
    source: IdentitySource
    sync_run: SyncRun


def _world(admin: Person) -> World:
    staged = PersonFactory(email="staged@example.com")
    invited = PersonFactory(email="invited@example.com", status=Person.Status.INVITED)
    now = timezone.now()
    Invitation.objects.create(
        person=invited,
        status=Invitation.Status.SENT,
        invited_by_label="test",
        send_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=7),
    )
    active = PersonFactory(email="active@example.com", claimed=True)
    deactivated = PersonFactory(
        email="gone@example.com", status=Person.Status.DEACTIVATED, claimed_at=now
    )
    content = csv_bytes([["Email", "First name"], ["new.one@example.com", "New"]])
    job = import_services.start_import(content, by=admin, filename="people.csv")
    import_services.plan_import(job, by=admin)
    target = ScimTarget.objects.create(name="Apps", base_url="http://127.0.0.1:9/scim/v2")
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)
    scim_run = ScimRun.objects.create(target=target, kind=ScimRun.Kind.SYNC)
    # An unreachable directory: a sync records a failed run, quickly.
    source = IdentitySource.objects.create(
        name="Directory",
        kind=IdentitySource.Kind.ENTRA,
        connection={
            "tenant_id": "t",
            "client_id": "c",
            "authority_host": "https://127.0.0.1:9",
            "graph_url": "https://127.0.0.1:9",
        },
    )
    sync_run = SyncRun.objects.create(source=source, status=SyncRun.Status.DONE)
    return World(staged, invited, active, deactivated, job, target, scim_run, source, sync_run)


def _group() -> int:
    from accounts.models import Group

    return Group.objects.get_or_create(name="Matrix group")[0].pk


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    allowed: frozenset[str]
    status: int
    kwargs: Any = None
    data: Any = None
    multipart: bool = False


def _upload() -> dict[str, Any]:
    return {
        "file": SimpleUploadedFile(
            "people.csv", csv_bytes([["Email"], ["up@example.com"]]), "text/csv"
        )
    }


ENDPOINTS = [
    Endpoint("person-list", "get", frozenset(ALL), 200),
    Endpoint("person-detail", "get", frozenset(ALL), 200, lambda w: {"person_id": w.active.pk}),
    Endpoint(
        "person-create", "post", frozenset(PEOPLE_WRITERS), 201, None, {"email": "n@example.com"}
    ),
    Endpoint(
        "person-update",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.active.pk},
        {"job_title": "Chief"},
    ),
    Endpoint(
        "person-invite",
        "post",
        frozenset(PEOPLE_WRITERS),
        201,
        lambda w: {"person_id": w.staged.pk},
    ),
    Endpoint(
        "person-remind",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.invited.pk},
    ),
    Endpoint(
        "person-revoke-invitation",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.invited.pk},
    ),
    Endpoint(
        "person-deactivate",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.active.pk},
        {"reason": "Left"},
    ),
    Endpoint(
        "person-reactivate",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.deactivated.pk},
    ),
    Endpoint(
        "person-delete",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"person_id": w.staged.pk},
    ),
    Endpoint("group-list", "get", frozenset(ALL), 200),
    Endpoint("group-detail", "get", frozenset(ALL), 200, lambda w: {"group_id": _group()}),
    Endpoint("group-create", "post", frozenset(PEOPLE_WRITERS), 201, None, {"name": "New"}),
    Endpoint(
        "group-update",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"group_id": _group()},
        {"description": "Changed"},
    ),
    Endpoint(
        "group-delete", "post", frozenset(PEOPLE_WRITERS), 200, lambda w: {"group_id": _group()}
    ),
    Endpoint("group-member-list", "get", frozenset(ALL), 200, lambda w: {"group_id": _group()}),
    Endpoint(
        "group-members-add",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"group_id": _group()},
        lambda: {"person_ids": [Person.objects.order_by("pk").values_list("pk", flat=True)[0]]},
    ),
    Endpoint(
        "group-members-remove",
        "post",
        frozenset(PEOPLE_WRITERS),
        200,
        lambda w: {"group_id": _group()},
        {"person_ids": [1]},
    ),
    Endpoint("audit-event-list", "get", frozenset(ALL), 200),
    Endpoint("import-list", "get", frozenset(ALL), 200),
    Endpoint("import-detail", "get", frozenset(ALL), 200, lambda w: {"import_id": w.job.pk}),
    Endpoint("import-rows", "get", frozenset(ALL), 200, lambda w: {"import_id": w.job.pk}),
    Endpoint(
        "import-create", "post", frozenset(PEOPLE_WRITERS), 201, None, _upload, multipart=True
    ),
    Endpoint(
        "import-plan", "post", frozenset(PEOPLE_WRITERS), 200, lambda w: {"import_id": w.job.pk}
    ),
    Endpoint(
        "import-confirm", "post", frozenset(PEOPLE_WRITERS), 202, lambda w: {"import_id": w.job.pk}
    ),
    Endpoint("scim-target-list", "get", frozenset(INTEGRATION_READERS), 200),
    Endpoint(
        "scim-target-detail",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"target_id": w.target.pk},
    ),
    Endpoint(
        "scim-run-list",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"target_id": w.target.pk},
    ),
    Endpoint(
        "scim-run-detail",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"run_id": w.scim_run.pk},
    ),
    Endpoint(
        "scim-target-sync", "post", frozenset(ADMIN), 202, lambda w: {"target_id": w.target.pk}
    ),
    Endpoint("source-list", "get", frozenset(INTEGRATION_READERS), 200),
    Endpoint(
        "source-detail",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"source_id": w.source.pk},
    ),
    Endpoint(
        "sync-run-list",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"source_id": w.source.pk},
    ),
    Endpoint(
        "sync-run-detail",
        "get",
        frozenset(INTEGRATION_READERS),
        200,
        lambda w: {"run_id": w.sync_run.pk},
    ),
    Endpoint("source-sync", "post", frozenset(ADMIN), 201, lambda w: {"source_id": w.source.pk}),
]
NO_ROLE_VISIBLE = [
    Endpoint("schema", "get", frozenset({*ALL, "none"}), 200),
    Endpoint("docs", "get", frozenset({*ALL, "none"}), 200),
    Endpoint("redoc", "get", frozenset({*ALL, "none"}), 200),
]

# Who calls: (label, role, how). "none" is a person whose admin role was taken
# away after their token was issued.
CALLERS = [
    ("anonymous", None, "none"),
    ("no-role by token", "none", "token"),
    ("no-role by session", "none", "session"),
    ("auditor by token", "auditor", "token"),
    ("account manager by token", "account_manager", "token"),
    ("account manager by session", "account_manager", "session"),
    ("admin by token", "admin", "token"),
    ("admin by session", "admin", "session"),
    ("revoked token", "admin", "revoked"),
    ("wrong token", "admin", "wrong"),
]


def _caller(label: str, role: str | None, how: str) -> APIClient:
    if role is None:
        return APIClient()
    trait = {"none": {"claimed": True}, "admin": {"admin": True}}.get(role, {role: True})
    email = label.replace(" ", "-") + "@example.com"
    person = PersonFactory(email=email, **trait)
    if how == "session":
        client = APIClient()
        client.force_login(person)
        return client
    granted = person if role != "none" else _with_role(person)
    token = token_for(granted)
    if role == "none":
        services.set_role(person, role=Role.NONE, by=CLI)
    if how == "revoked":
        ApiToken.objects.filter(person=person).update(revoked_at=timezone.now())
    if how == "wrong":
        token = token[:-4] + "AAAA"
    return token_client(token)


def _with_role(person: Person) -> Person:
    return services.set_role(person, role=Role.AUDITOR, by=CLI)


def _state() -> dict[str, Any]:
    return {
        "people": sorted(
            Person.objects.values_list("pk", "status", "version", "job_title", "email")
        ),
        "events": LifecycleEvent.objects.count(),
        "invitations": sorted(Invitation.objects.values_list("pk", "status")),
        "imports": sorted(ImportJob.objects.values_list("pk", "status", "confirmed_at")),
        "scim_runs": ScimRun.objects.count(),
        "sync_runs": SyncRun.objects.count(),
        "idempotency_keys": IdempotencyKey.objects.count(),
    }


def _call(client: APIClient, endpoint: Endpoint, world: World, key: str | None = None) -> Any:
    kwargs = endpoint.kwargs(world) if endpoint.kwargs else {}
    url = reverse(f"api:{endpoint.name}", kwargs=kwargs)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    if endpoint.method == "get":
        return client.get(url, **headers)
    data = endpoint.data() if callable(endpoint.data) else (endpoint.data or {})
    if endpoint.multipart:
        return client.post(url, data, format="multipart", **headers)
    return client.post(url, data, format="json", **headers)


def _expected(endpoint: Endpoint, role: str | None, how: str) -> int:
    if how == "none" or how in ("revoked", "wrong"):
        return 401
    if role in endpoint.allowed:
        return endpoint.status
    return 403


def _assert_refused(response: Any, expected: int, endpoint: Endpoint) -> None:
    assert response.status_code == expected, response.content[:500]
    if endpoint not in NO_ROLE_VISIBLE:
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="Roster API"'


@pytest.mark.parametrize("endpoint", ENDPOINTS + NO_ROLE_VISIBLE, ids=lambda e: e.name)
def test_endpoint_refuses_callers_without_its_capability_and_changes_nothing(endpoint, admin_user):
    world = _world(admin_user)
    refused = [c for c in CALLERS if _expected(endpoint, c[1], c[2]) in (401, 403)]
    clients = [(label, _caller(label, role, how), role, how) for label, role, how in refused]
    before = _state()

    for label, client, role, how in clients:
        response = _call(client, endpoint, world, key="matrix-1")
        expected = _expected(endpoint, role, how)
        assert response.status_code == expected, (label, response.content[:300])
        _assert_refused(response, expected, endpoint)

    assert _state() == before


ALLOWED = [
    (endpoint, caller)
    for endpoint in ENDPOINTS + NO_ROLE_VISIBLE
    for caller in CALLERS
    if _expected(endpoint, caller[1], caller[2]) not in (401, 403)
]


@pytest.mark.parametrize(
    ("endpoint", "caller"), ALLOWED, ids=[f"{e.name}-{c[0]}" for e, c in ALLOWED]
)
def test_endpoint_serves_callers_with_its_capability(endpoint, caller, admin_user):
    label, role, how = caller
    world = _world(admin_user)
    client = _caller(label, role, how)

    response = _call(client, endpoint, world, key="matrix-1")

    assert response.status_code == endpoint.status, response.content[:500]


def test_every_api_url_is_in_the_matrix():
    from django.urls import get_resolver

    namespace = get_resolver().namespace_dict["api"][1]
    api_names = {name for name in namespace.reverse_dict if isinstance(name, str)}
    assert api_names == {e.name for e in ENDPOINTS + NO_ROLE_VISIBLE}
