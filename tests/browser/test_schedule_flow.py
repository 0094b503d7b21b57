"""An administrator schedules a SCIM target's full sync and an identity provider's sync on
their own pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from provisioning.idp import services as idp_services
from provisioning.scim import services as scim_services
from tests.browser.test_admin_forms import _sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_sets_both_schedules_where_they_belong(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com")
    target = scim_services.create_target(
        name="Slack", base_url="https://slack.example/scim/v2", by=admin
    )
    scim_services.enable_target(target, by=admin)
    source = idp_services.connect_source(
        by=admin,
        name="Entra",
        kind="entra",
        connection={"tenant_id": "tenant", "client_id": "client"},
        credentials={"client_secret": "s3cret"},
    )
    _sign_in(page, live_server, "admin@example.com")

    url = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
    page.goto(live_server.url + url)
    page.select_option('select[name="full_sync"]', "weekly")
    page.select_option('select[name="full_sync_hour"]', "4")
    page.select_option('select[name="full_sync_weekday"]', "0")
    page.locator('[name="_continue"]').click()
    page.wait_for_url(live_server.url + url)
    body = page.locator("#content").inner_text()
    assert "Every Monday at 04:00 (UTC)" in body
    assert "Next full sync: " in body and "Not scheduled" not in body
    assert "Members per request: 1000" in body
    entry = PeriodicTask.objects.get(task="provisioning.scim.full_sync")
    assert (entry.crontab.hour, entry.crontab.day_of_week, entry.enabled) == ("4", "1", True)

    url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
    page.goto(live_server.url + url)
    page.select_option('select[name="sync_every"]', "manual")
    page.locator('[name="_continue"]').click()
    page.wait_for_url(live_server.url + url)
    body = page.locator("#content").inner_text()
    assert "Next sync: None: this source syncs only when Sync now is pressed." in body
    assert PeriodicTask.objects.get(task="provisioning.sync_source").enabled is False
