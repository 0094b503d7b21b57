"""Changes to identity providers are in the audit log, without their credentials."""

from __future__ import annotations

import json

import pytest

from accounts.models import LifecycleEvent
from provisioning.idp import services as idp_services
from tests.provisioning.idp.test_sync import connect_entra

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_connect_change_and_delete_are_audited_without_the_secret(admin_user, fake_graph):
    source = connect_entra(fake_graph, admin_user)
    idp_services.update_source(
        source,
        by=admin_user,
        connection={**source.connection, "graph_url": "https://graph.example"},
        credentials={"client_secret": "second-secret-value"},
        sync_interval_minutes=15,
        is_enabled=False,
    )
    idp_services.delete_source(source, by=admin_user)

    created, updated, deleted = LifecycleEvent.objects.filter(
        subject_kind="identity_provider"
    ).order_by("id")
    assert (created.action, created.subject, created.actor_id) == (
        "created",
        "Identity provider Entra",
        admin_user.pk,
    )
    assert created.changes["credentials"] == "set"
    assert created.changes["kind"] == [None, "entra"]
    assert updated.action == "updated"
    assert updated.changes == {
        "connection.graph_url": [fake_graph.base_url, "https://graph.example"],
        "sync_interval_minutes": [60, 15],
        "is_enabled": [True, False],
        "credentials": "changed",
    }
    assert (deleted.action, deleted.subject) == ("deleted", "Identity provider Entra")
    stored = json.dumps(list(LifecycleEvent.objects.values()), default=str)
    assert fake_graph.client_secret not in stored
    assert "second-secret-value" not in stored


def test_a_refused_change_writes_no_audit_row(admin_user, fake_graph):
    source = connect_entra(fake_graph, admin_user)

    with pytest.raises(idp_services.SourceProblem):
        idp_services.update_source(
            source,
            by=admin_user,
            connection={**source.connection, "graph_url": "https://x.example"},
        )

    assert LifecycleEvent.objects.filter(action="updated").count() == 0
