"""SCIM targets and identity-provider syncs over the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.scim.models import ScimRun, ScimTarget

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _target(**fields) -> ScimTarget:
    target = ScimTarget.objects.create(name="Apps", base_url="http://127.0.0.1:9/scim/v2")
    ScimTarget.objects.filter(pk=target.pk).update(**fields)
    return target


def test_sync_now_starts_a_run_in_the_background(api_admin, django_capture_on_commit_callbacks):
    target = _target(is_enabled=True)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_admin.post(
            reverse("api:scim-target-sync", kwargs={"target_id": target.pk}), {}, format="json"
        )

    assert response.status_code == 202
    run = ScimRun.objects.get()
    assert (response.json()["id"], response.json()["kind"], response.json()["status"]) == (
        run.pk,
        "sync",
        "running",
    )
    assert callbacks[0].func.__self__.name == "provisioning.scim.sync_target"


def test_syncing_a_paused_target_is_a_conflict(api_admin):
    target = _target(is_enabled=True, state=ScimTarget.State.PAUSED, state_reason="Too many errors")

    response = api_admin.post(
        reverse("api:scim-target-sync", kwargs={"target_id": target.pk}), {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "target_unavailable",
        "message": "Apps is paused: Too many errors",
        "fields": {},
    }
    assert not ScimRun.objects.exists()


def test_target_detail_shows_link_counts_and_no_secrets(api_auditor):
    target = _target()

    body = api_auditor.get(
        reverse("api:scim-target-detail", kwargs={"target_id": target.pk})
    ).json()

    assert body["links"] == {"in_sync": 0, "pending": 0, "failed": 0}
    assert not {"token_encrypted", "oauth_client_secret_encrypted"} & set(body)


def test_target_detail_shows_the_full_sync_schedule_and_the_group_batch_in_use(api_auditor):
    target = _target(
        full_sync=ScimTarget.FullSync.WEEKLY,
        full_sync_hour=4,
        full_sync_weekday=ScimTarget.Weekday.SUNDAY,
        push_groups=True,
        capabilities={"bulk_max_operations": 100},
    )

    body = api_auditor.get(
        reverse("api:scim-target-detail", kwargs={"target_id": target.pk})
    ).json()

    assert body["full_sync"] == "weekly"
    assert (body["full_sync_hour"], body["full_sync_weekday"]) == (4, 6)
    assert body["full_sync_schedule"].startswith("Every Sunday at 04:00 (")
    assert body["push_groups"] is True
    # Nothing set on the target: the advertised bulk limit decides; a learned size caps it.
    assert (body["group_batch_size"], body["group_batch_in_use"]) == (None, 100)
    ScimTarget.objects.filter(pk=target.pk).update(group_batch_learned=25)
    listed = api_auditor.get(reverse("api:scim-target-list")).json()["results"]
    assert listed[0]["group_batch_in_use"] == 25


def test_runs_are_listed_newest_first(api_auditor):
    target = _target()
    older = ScimRun.objects.create(target=target, kind=ScimRun.Kind.SYNC)
    newer = ScimRun.objects.create(target=target, kind=ScimRun.Kind.CHANGES)

    response = api_auditor.get(reverse("api:scim-run-list", kwargs={"target_id": target.pk}))

    assert [r["id"] for r in response.json()["results"]] == [newer.pk, older.pk]


def test_source_sync_records_an_unreachable_directory_as_a_failed_run(api_admin):
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

    response = api_admin.post(
        reverse("api:source-sync", kwargs={"source_id": source.pk}),
        {"dry_run": True},
        format="json",
    )

    assert response.status_code == 201
    run = SyncRun.objects.get()
    assert (response.json()["id"], response.json()["status"]) == (run.pk, "failed")
    assert response.json()["error_message"] == run.error_message != ""
