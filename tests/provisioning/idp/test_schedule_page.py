"""The sync schedule on an identity provider's page: a choice, the next and last sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts.models import LifecycleEvent
from provisioning.health import list_identity_provider_health
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SyncRun
from tests.provisioning.idp.test_secret_hosts import entra_form

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
NOON = datetime(2030, 1, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def connect(by, **options) -> IdentitySource:
    return idp_services.connect_source(
        by=by,
        name="Entra",
        kind="entra",
        connection={"tenant_id": "tenant", "client_id": "client"},
        credentials={"client_secret": "s3cret"},
        **options,
    )


def confirmed(source: IdentitySource) -> IdentitySource:
    IdentitySource.objects.filter(pk=source.pk).update(confirmed_at=NOON - timedelta(days=1))
    source.refresh_from_db()
    idp_services.schedule_source(source)
    return source


def page_of(client, source: IdentitySource) -> str:
    url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
    return client.get(url).content.decode()


def save(client, source: IdentitySource, **changes: str):
    url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
    return client.post(url, entra_form(source, **changes))


def audit_rows(source: IdentitySource) -> list[dict]:
    return [
        e.changes
        for e in LifecycleEvent.objects.filter(
            subject_kind="identity_provider", action="updated"
        ).order_by("id")
    ]


def test_the_page_offers_intervals_in_words(admin_client, admin_user):
    body = page_of(admin_client, connect(admin_user))
    for label in (
        "Every 15 minutes",
        "Every hour",
        "Every 6 hours",
        "Every day",
        "Manually only",
    ):
        assert f">{label}</option>" in body
    assert 'name="sync_interval_minutes"' not in body
    assert 'name="is_enabled"' not in body


def test_choosing_an_interval_updates_the_beat_entry_and_is_audited(admin_client, admin_user):
    source = confirmed(connect(admin_user))
    assert save(admin_client, source, sync_every="360").status_code == 302
    task = PeriodicTask.objects.get(task="provisioning.sync_source")
    assert (task.interval.every, task.interval.period, task.enabled) == (360, "minutes", True)

    assert save(admin_client, source, sync_every="manual").status_code == 302
    task.refresh_from_db()
    source.refresh_from_db()
    assert (task.enabled, source.is_enabled, source.sync_interval_minutes) == (False, False, 360)

    assert save(admin_client, source, sync_every="1440").status_code == 302
    task.refresh_from_db()
    assert (task.interval.every, task.enabled) == (1440, True)
    assert audit_rows(source) == [
        {"sync_interval_minutes": [60, 360]},
        {"is_enabled": [True, False]},
        {"is_enabled": [False, True], "sync_interval_minutes": [360, 1440]},
    ]


def test_the_page_shows_the_next_and_last_sync(client, admin_user):
    with time_machine.travel(NOON, tick=False):
        source = confirmed(connect(admin_user, sync_interval_minutes=360))
        PeriodicTask.objects.filter(pk=source.periodic_task_id).update(
            last_run_at=NOON - timedelta(hours=1)
        )
        SyncRun.objects.create(
            source=source,
            status=SyncRun.Status.FAILED,
            trigger=SyncRun.Trigger.SCHEDULE,
            error_message="The client secret has expired.",
        )
        client.force_login(admin_user)
        body = page_of(client, source)
    assert "Next sync: 2030-01-02 18:00 CET" in body
    assert (
        "Last sync: 2030-01-02 13:00 CET (Schedule): Failed, The client secret has expired."
    ) in body


def test_a_source_without_a_schedule_says_why(admin_client, admin_user):
    source = connect(admin_user)
    assert "Next sync: After an administrator confirms the first run." in page_of(
        admin_client, source
    )
    assert "Last sync: Never." in page_of(admin_client, source)
    save(admin_client, confirmed(source), sync_every="manual")
    body = page_of(admin_client, source)
    assert "Next sync: None: this source syncs only when Sync now is pressed." in body
    assert 'value="manual" selected' in body


def test_an_interval_set_elsewhere_survives_a_save_of_the_page(admin_client, admin_user):
    source = confirmed(connect(admin_user, sync_interval_minutes=40))
    body = page_of(admin_client, source)
    assert '<option value="40" selected>Every 40 minutes</option>' in body
    assert save(admin_client, source, sync_every="40").status_code == 302
    source.refresh_from_db()
    assert source.sync_interval_minutes == 40
    assert audit_rows(source) == []


def test_an_unknown_choice_is_an_error_and_changes_nothing(admin_client, admin_user):
    source = confirmed(connect(admin_user))
    response = save(admin_client, source, sync_every="7")
    assert response.status_code == 200
    assert "Select a valid choice. 7 is not one of the available choices." in (
        response.content.decode()
    )
    task = PeriodicTask.objects.get(task="provisioning.sync_source")
    assert (task.interval.every, task.enabled) == (60, True)
    assert audit_rows(source) == []


@pytest.mark.parametrize("role", ["auditor", "account_manager"])
def test_other_roles_cannot_change_the_schedule(client, admin_user, role, request):
    source = confirmed(connect(admin_user))
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("admin:provisioning_identitysource_change", args=[source.pk]))
    if role == "auditor":
        assert page.status_code == 200
        body = page.content.decode()
        assert "Next sync: " in body
        assert 'name="sync_every"' not in body
    else:
        assert page.status_code == 403
    assert save(client, source, sync_every="manual").status_code == 403
    task = PeriodicTask.objects.get(task="provisioning.sync_source")
    source.refresh_from_db()
    assert (task.enabled, source.is_enabled) == (True, True)
    assert audit_rows(source) == []


def test_the_dashboard_counts_a_connected_manual_only_source_as_fine(admin_user):
    source = confirmed(connect(admin_user))
    IdentitySource.objects.filter(pk=source.pk).update(status=IdentitySource.Status.CONNECTED)
    idp_services.update_source(source, by=admin_user, is_enabled=False)
    [row] = list_identity_provider_health()
    assert (row.state, row.state_label, row.is_ok) == (
        "connected",
        "Connected (manual sync only)",
        True,
    )
