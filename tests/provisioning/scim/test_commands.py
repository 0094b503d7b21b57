"""scim_target and scim_sync against a real scim2-server."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from provisioning.scim.models import ScimRun, ScimTarget
from provisioning.secrets import decrypt
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import remote_users

pytestmark = pytest.mark.django_db


def call(*args: str) -> dict | list:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_add_list_pause_resume_remove(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        added = call(
            "scim_target",
            "add",
            "Slack",
            "--url",
            tenant,
            "--token",
            "tok",
            "--rate-limit",
            "5",
            "--disabled",
        )
    assert queued == []
    assert (added["name"], added["enabled"], added["rate_limit"]) == ("Slack", False, 5.0)
    target = ScimTarget.objects.get(name="Slack")
    assert decrypt(target.token_encrypted) == "tok"

    assert [
        (r["name"], r["full_sync"], r["members_per_request"]) for r in call("scim_target", "list")
    ] == [("Slack", "Never", 1000)]
    paused = call("scim_target", "pause", "Slack", "--reason", "Maintenance")
    assert (paused["state"], paused["reason"]) == ("paused", "Maintenance")
    assert call("scim_target", "resume", "slack")["state"] == "healthy"
    call("scim_target", "remove", "Slack")
    assert not ScimTarget.objects.exists()


def test_add_refuses_a_bad_url_and_changes_nothing():
    with pytest.raises(CommandError, match="base_url: The base URL must be an http"):
        call_command("scim_target", "add", "X", "--url", "ftp://nowhere", stdout=StringIO())
    assert not ScimTarget.objects.exists()


def test_sync_wait_pushes_everyone_and_dry_run_sends_nothing(tenant):
    PersonFactory.create_batch(3)
    call("scim_target", "add", "App", "--url", tenant, "--disabled")
    ScimTarget.objects.update(is_enabled=True)

    planned = call("scim_sync", "App", "--dry-run")
    # Three people to create, with a lookup and a create each.
    assert (planned["total"], planned["created"], planned["requests"]) == (3, 3, 6)
    assert remote_users(tenant) == []

    result = call("scim_sync", "App", "--wait")
    assert (result["status"], result["created"], result["failed"]) == ("finished", 3, 0)
    assert len(remote_users(tenant)) == 3
    assert call("scim_sync", "App", "--dry-run")["total"] == 0

    report = call("scim_sync", "App", "--reconcile", "--wait")
    assert report["report"]["counts"]["missing"] == 0
    assert ScimRun.objects.filter(kind="reconcile", status="finished").count() == 1


def test_sync_of_an_unknown_target_fails():
    with pytest.raises(CommandError, match="No SCIM target is named Nope"):
        call_command("scim_sync", "Nope", stdout=StringIO())


def test_change_to_another_host_needs_the_token_again(admin_user):
    from provisioning.scim import services

    target = services.create_target(
        name="Slack", base_url="https://slack.example/scim/v2", token="tok", by=admin_user
    )

    with pytest.raises(CommandError, match="enter the bearer token again"):
        call("scim_target", "change", "Slack", "--url", "https://elsewhere.example/scim/v2")
    target.refresh_from_db()
    assert (target.base_url, decrypt(target.token_encrypted)) == (
        "https://slack.example/scim/v2",
        "tok",
    )

    same_host = call("scim_target", "change", "Slack", "--url", "https://slack.example/v3")
    moved = call(
        "scim_target", "change", "Slack", "--url", "https://new.example/v3", "--token", "new"
    )

    assert (same_host["url"], moved["url"]) == (
        "https://slack.example/v3",
        "https://new.example/v3",
    )
    target.refresh_from_db()
    assert decrypt(target.token_encrypted) == "new"
