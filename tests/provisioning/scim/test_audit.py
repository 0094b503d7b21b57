"""Changes to SCIM targets are in the audit log: who, what, which settings; no secrets."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import LifecycleEvent
from provisioning.scim import services
from provisioning.scim.models import ScimTarget
from tests.provisioning.scim.test_secret_hosts import form

pytestmark = pytest.mark.django_db

ADMIN = "Alex Admin <admin@example.com>"


def rows() -> list[tuple[str, str, str, dict]]:
    return [
        (e.action, e.subject, e.actor_label, e.changes)
        for e in LifecycleEvent.objects.filter(subject_kind="scim_target").order_by("id")
    ]


def test_each_change_of_a_target_is_one_audit_row(admin_client, admin_user):
    admin_client.post(
        reverse("admin:provisioning_scimtarget_add"),
        form(
            ScimTarget(name="Slack", base_url="https://slack.example/scim/v2", rate_limit=20),
            token="xoxp-first-secret",
        ),
    )
    target = ScimTarget.objects.get()
    admin_client.post(
        reverse("admin:provisioning_scimtarget_change", args=[target.pk]),
        form(
            target, base_url="https://new.example/scim", token="xoxp-second-secret", rate_limit="5"
        ),
    )
    target.refresh_from_db()
    services.pause_target(target, by=admin_user, reason="Maintenance")
    services.resume_target(target, by=admin_user)
    services.delete_target(target, by=admin_user)

    created, updated, paused, resumed, deleted = rows()
    assert created[:3] == ("created", "SCIM target Slack", ADMIN)
    assert created[3]["token"] == "set"
    assert created[3]["base_url"] == [None, "https://slack.example/scim/v2"]
    assert updated == (
        "updated",
        "SCIM target Slack",
        ADMIN,
        {
            "base_url": ["https://slack.example/scim/v2", "https://new.example/scim"],
            "rate_limit": [20.0, 5.0],
            "token": "changed",
        },
    )
    assert paused[:3] == ("paused", "SCIM target Slack", ADMIN)
    assert LifecycleEvent.objects.get(action="paused").reason == "Maintenance"
    assert resumed[:3] == ("resumed", "SCIM target Slack", ADMIN)
    assert deleted[:3] == ("deleted", "SCIM target Slack", ADMIN)
    stored = json.dumps(list(LifecycleEvent.objects.values()), default=str)
    assert "xoxp-first-secret" not in stored and "xoxp-second-secret" not in stored
    assert LifecycleEvent.objects.filter(person__isnull=False).count() == 0


def test_a_refused_change_writes_no_audit_row(admin_client, admin_user):
    target = services.create_target(
        name="Slack", base_url="https://slack.example/scim/v2", token="tok", by=admin_user
    )
    before = LifecycleEvent.objects.count()

    admin_client.post(
        reverse("admin:provisioning_scimtarget_change", args=[target.pk]),
        form(target, base_url="https://elsewhere.example/scim/v2"),
    )

    assert LifecycleEvent.objects.count() == before


def test_the_audit_log_page_shows_and_filters_integration_rows(admin_client, admin_user):
    services.create_target(name="Slack", base_url="https://slack.example/scim/v2", by=admin_user)
    url = reverse("admin:accounts_lifecycleevent_changelist")

    page = admin_client.get(url, {"subject_kind": "scim_target"}).content.decode()

    assert "SCIM target Slack" in page
    assert "base_url: — → https://slack.example/scim/v2" in page
