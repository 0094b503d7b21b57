"""Previews made by a worker: queued on upload, failed with a reason when they stall,
and their uploads purged by age whatever became of them."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Person
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.imports.tasks import plan_import_task, purge_imports_task
from tests.api.conftest import token_client, token_for
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


CONTENT = csv_bytes([["Email"], ["new@example.com"]])
STALLED = (
    "The preview was not ready after 30 minutes (the worker preparing it stopped, or none "
    "is running), so Roster gave up; nothing was changed. Prepare the preview again, or "
    "upload the file again."
)


def queued(by, content: bytes = CONTENT, *, minutes_ago: int = 0) -> ImportJob:
    job = services.start_import(content, by=by, filename="people.csv", queue_plan=True)
    if minutes_ago:
        ImportJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
            planning_started_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
    job.refresh_from_db()
    return job


def test_start_import_with_a_queued_plan_reads_nothing_and_enqueues_the_task(
    admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = queued(admin_user)
    assert (job.status, job.file_format, job.total_rows, job.planned_at) == (
        "planning",
        "",
        0,
        None,
    )
    assert job.planning_started_at is not None
    assert [(c.func.__self__.name, c.args) for c in callbacks] == [
        (plan_import_task.name, (job.pk,))
    ]
    assert plan_import_task(job.pk) == "ready"
    job.refresh_from_db()
    assert (job.status, job.count_new, job.file_format) == ("ready", 1, "csv")


def test_rows_read_so_far_are_reported_while_planning(admin_user, monkeypatch):
    from django.core.cache import cache

    from provisioning.imports.reader import rows

    monkeypatch.setattr(rows, "PROGRESS_ROWS", 2)
    content = csv_bytes([["Email"], *([f"p{n}@example.com"] for n in range(5))])
    job = queued(admin_user, content)
    seen: list[tuple[str, int]] = []
    real_set = cache.set

    def watch(key, value, *args, **kwargs):
        real_set(key, value, *args, **kwargs)
        progress = selectors.get_import_progress(ImportJob.objects.get(pk=job.pk))
        seen.append((progress.status, progress.processed))

    monkeypatch.setattr(cache, "set", watch)
    assert plan_import_task(job.pk) == "ready"
    assert seen == [("planning", 2), ("planning", 4)]
    assert cache.get(selectors.progress_key(job.pk)) is None


def test_preview_stalled_in_planning_fails_with_a_reason_the_importer_sees(
    admin_client, admin_user
):
    stalled = queued(admin_user, minutes_ago=31)
    recent = queued(admin_user, minutes_ago=29)

    assert purge_imports_task() == 1

    stalled.refresh_from_db()
    recent.refresh_from_db()
    assert (stalled.status, stalled.error_message) == ("failed", STALLED)
    assert stalled.file.name != ""
    assert recent.status == "planning"
    page = admin_client.get(f"/admin/provisioning/importjob/{stalled.pk}/change/")
    text = page.content.decode()
    assert "Roster could not make a preview of this file." in text
    assert STALLED in text
    assert f"/admin/provisioning/importjob/{stalled.pk}/preview-again/" in text
    progress = admin_client.get(f"/admin/provisioning/importjob/{stalled.pk}/progress/").json()
    assert (progress["phase"], progress["finished"], progress["error_message"]) == (
        "failed",
        True,
        STALLED,
    )
    # A worker that finally gets to the task leaves the failure as it is.
    assert plan_import_task(stalled.pk) == "skipped"
    stalled.refresh_from_db()
    assert stalled.status == "failed"
    # The preview can be asked for again, and then succeeds.
    services.queue_import_plan(stalled, by=admin_user)
    assert plan_import_task(stalled.pk) == "ready"


def test_upload_of_a_preview_that_never_finished_is_purged_by_age(admin_user, settings):
    settings.ROSTER_IMPORT_RETENTION_HOURS = 24
    job = queued(admin_user, minutes_ago=25 * 60)
    path = job.file.path
    assert os.path.exists(path)

    assert purge_imports_task() == 2  # failed as stalled, then its file purged

    job.refresh_from_db()
    assert not os.path.exists(path)
    assert (job.file.name, job.status) == ("", "failed")
    assert job.file_deleted_at is not None
    assert job.error_message == "This preview expired. Upload the file again."
    assert purge_imports_task() == 0


def test_old_upload_of_an_import_being_applied_is_purged_but_its_plan_kept(admin_user, settings):
    settings.ROSTER_IMPORT_RETENTION_HOURS = 24
    job = services.start_import(CONTENT, by=admin_user, filename="people.csv")
    services.plan_import(job, by=admin_user)
    services.confirm_import(job, by=admin_user, enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.APPLYING,
        created_at=timezone.now() - timedelta(hours=25),
    )
    chunks = ImportChunk.objects.filter(job=job).count()
    assert chunks > 0

    assert services.purge_imports() == 1

    job.refresh_from_db()
    assert (job.file.name, job.status) == ("", "applying")
    assert ImportChunk.objects.filter(job=job).count() == chunks


def test_preview_of_a_file_whose_uploader_left_fails_saying_so(admin_user, account_manager):
    job = queued(account_manager)
    Person.objects.filter(pk=account_manager.pk).delete()
    assert plan_import_task(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_message == "The person who uploaded this file is no longer in Roster."
    assert not ImportChunk.objects.filter(job=job).exists()


def test_preview_that_crashes_is_failed_not_left_planning(admin_user, monkeypatch):
    from provisioning.imports import reader as spreadsheet

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    job = queued(admin_user)
    monkeypatch.setattr(spreadsheet, "read_spreadsheet", crash)
    with pytest.raises(RuntimeError):
        plan_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_message) == (
        "failed",
        "The preview failed unexpectedly; nothing was changed. Try again.",
    )


def test_api_previews_through_the_same_bounded_reader(admin_user):
    content = csv_bytes([["Email", *[f"Extra {n}" for n in range(1, 600)]]])
    job = services.start_import(content, by=admin_user, filename="people.csv")
    client = token_client(token_for(admin_user))
    response = client.post(
        reverse("api:import-plan", kwargs={"import_id": job.pk}), {}, format="json"
    )
    assert response.status_code == 413, response.content
    assert "Roster reads at most 500 columns." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "failed"


def test_command_line_previews_through_the_same_bounded_reader(admin_user, tmp_path):
    from tests.provisioning.imports.test_commands import run

    path = tmp_path / "wide.csv"
    path.write_bytes(csv_bytes([["Email", *[f"Extra {n}" for n in range(1, 600)]]]))
    code, out, err = run(str(path), "--dry-run", "--as", admin_user.email)
    assert code != 0
    assert "Roster reads at most 500 columns." in out + err
    assert ImportJob.objects.get().status == "failed"


def test_plan_import_task_prepares_a_queued_preview_once(admin_user):
    job = services.start_import(
        csv_bytes([["Email"], ["new@example.com"]]), by=admin_user, filename="people.csv"
    )
    assert plan_import_task(job.pk) == "ready"
    assert plan_import_task(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.counts["new"] == 1
    assert purge_imports_task() == 0
