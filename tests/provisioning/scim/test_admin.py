"""The SCIM target admin: settings through services, state, runs and the buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.scim import services
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.secrets import decrypt
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def change_url(target: ScimTarget) -> str:
    return reverse("admin:provisioning_scimtarget_change", args=[target.pk])


def button(target: ScimTarget, name: str) -> str:
    return change_url(target).removesuffix("change/") + f"{name}/"


def test_admin_adds_a_target_with_a_write_only_token(admin_client):
    response = admin_client.post(
        reverse("admin:provisioning_scimtarget_add"),
        {
            "name": "Slack",
            "base_url": "https://slack.example/scim/v2",
            "auth_method": "bearer",
            "token": "xoxp-secret",
            "scope_departments": "Engineering, Sales",
            "deactivation": "patch",
            "rate_limit": "10",
            "pause_after_failures": "25",
            "attribute_mapping": "{}",
        },
    )

    assert response.status_code == 302
    target = ScimTarget.objects.get()
    assert target.scope_departments == ["Engineering", "Sales"]
    assert decrypt(target.token_encrypted) == "xoxp-secret"
    page = admin_client.get(change_url(target)).content.decode()
    assert "xoxp-secret" not in page
    assert target.token_encrypted not in page


def test_the_target_page_shows_state_counts_failures_and_runs(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    ScimTarget.objects.filter(pk=target.pk).update(
        is_enabled=True, state="retrying", state_reason="Retrying at 10:00:00: 503"
    )
    person = PersonFactory(email="ada@example.com")
    ScimLink.objects.create(
        target=target,
        person=person,
        person_ref=person.pk,
        failed_version=person.version,
        last_error="POST /Users answered 400: bad phone",
    )
    ScimRun.objects.create(target=target, kind="sync", total=10, created=4)

    page = admin_client.get(change_url(target)).content.decode()

    assert "Retrying at 10:00:00: 503" in page
    assert "0 in sync, 0 pending, 1 failed." in page
    assert "POST /Users answered 400: bad phone" in page
    assert "4/10 (40%)" in page
    listing = admin_client.get(reverse("admin:provisioning_scimtarget_changelist"))
    assert "0 / 0 / 1" in listing.content.decode()


def test_sync_now_asks_then_queues_a_run(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)
    url = button(target, "sync")

    assert "confirm-scim" in admin_client.get(url).content.decode()
    assert not ScimRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post(url, {"confirm": "yes"})

    assert response.status_code == 302
    run = ScimRun.objects.get()
    assert (run.kind, run.status) == ("sync", "running")
    assert queued[0].func.__self__.name == "provisioning.scim.sync_target"
    assert queued[0].args == (target.pk, run.pk)


def test_dry_run_button_shows_the_requests(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    response = admin_client.post(button(target, "dry-run"), {"confirm": "yes"})

    run = ScimRun.objects.get(kind="dry_run")
    assert response["Location"] == reverse("admin:provisioning_scimrun_change", args=[run.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "POST" in page and "admin@example.com" in page


def test_pause_and_resume_buttons(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    admin_client.post(button(target, "pause"), {"confirm": "yes"})
    target.refresh_from_db()
    assert (target.state, target.state_reason) == ("paused", "Paused by an administrator.")
    admin_client.post(button(target, "resume"), {"confirm": "yes"})
    target.refresh_from_db()
    assert target.state == "healthy"


def test_an_account_manager_cannot_see_or_press_anything(client, account_manager, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    client.force_login(account_manager)

    assert client.get(reverse("admin:provisioning_scimtarget_changelist")).status_code == 403
    assert client.post(button(target, "pause"), {"confirm": "yes"}).status_code == 403
    target.refresh_from_db()
    assert target.state == "healthy"
    assert not ScimRun.objects.exists()


def test_an_auditor_may_neither_dry_run_nor_pause(client, auditor, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    client.force_login(auditor)

    assert client.post(button(target, "pause"), {"confirm": "yes"}).status_code == 403
    assert client.post(button(target, "dry-run"), {"confirm": "yes"}).status_code == 403
    assert not ScimRun.objects.exists()
    target.refresh_from_db()
    assert target.state == "healthy"
