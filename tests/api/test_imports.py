"""Spreadsheet imports over the API: upload → plan → confirm → status."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Person
from provisioning.imports import services as import_services
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import apply_import_task
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _upload(client, rows, **options):
    content = csv_bytes(rows)
    return client.post(
        reverse("api:import-create"),
        {"file": SimpleUploadedFile("people.csv", content, "text/csv"), **options},
        format="multipart",
    )


def test_upload_plan_confirm_and_read_the_status(api_manager, django_capture_on_commit_callbacks):
    rows = [["Email", "First name", "Last name"], ["ann@example.com", "Ann", "Lee"]]

    created = _upload(api_manager, rows)
    job_id = created.json()["id"]
    planned = api_manager.post(
        reverse("api:import-plan", kwargs={"import_id": job_id}), {}, format="json"
    )
    preview = api_manager.get(
        reverse("api:import-rows", kwargs={"import_id": job_id}), {"action": "new"}
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        confirmed = api_manager.post(
            reverse("api:import-confirm", kwargs={"import_id": job_id}), {}, format="json"
        )
    assert [(c.func.__self__.name, c.args) for c in callbacks] == [
        ("provisioning.apply_import", (job_id,))
    ]
    apply_import_task(job_id)
    status = api_manager.get(reverse("api:import-detail", kwargs={"import_id": job_id}))

    assert (created.status_code, created.json()["status"]) == (201, "queued")
    assert planned.json()["counts"]["new"] == 1
    assert preview.json()["count"] == 1
    assert preview.json()["results"][0]["email"] == "ann@example.com"
    assert confirmed.status_code == 202
    assert status.json()["status"] == "done"
    assert status.json()["progress"] == {"processed": 1, "total": 1, "percent": 100}
    assert Person.objects.get(email="ann@example.com").full_name == "Ann Lee"


def test_confirming_an_import_with_errors_is_a_conflict(api_admin, admin_user):
    response = _upload(api_admin, [["Email"], ["not-an-email"]])
    job = ImportJob.objects.get(pk=response.json()["id"])
    import_services.plan_import(job, by=admin_user)

    confirmed = api_admin.post(
        reverse("api:import-confirm", kwargs={"import_id": job.pk}), {}, format="json"
    )

    assert confirmed.status_code == 409
    assert confirmed.json()["error"]["code"] == "import_not_ready"
    job.refresh_from_db()
    assert job.confirmed_at is None


def test_a_complete_list_is_for_system_administrators(api_manager):
    response = _upload(api_manager, [["Email"], ["a@example.com"]], complete_list=True)

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_an_oversized_file_is_refused(api_admin, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 10

    response = _upload(api_admin, [["Email"], ["a@example.com"]])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not ImportJob.objects.exists()


def test_jobs_are_listed_newest_first(api_auditor, admin_user):
    first = import_services.start_import(b"Email\r\n", by=admin_user, filename="a.csv")
    second = import_services.start_import(b"Email\r\n", by=admin_user, filename="b.csv")

    response = api_auditor.get(reverse("api:import-list"))

    assert [j["id"] for j in response.json()["results"]] == [second.pk, first.pk]
