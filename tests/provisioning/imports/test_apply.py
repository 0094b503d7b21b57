"""Applying imports: people, audit rows and events written once, all or nothing;
stale plans, dead workers, file deletion, purging, complete lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import LifecycleEvent, Person
from provisioning.exceptions import ConfirmationRequired, ImportNotReady
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.imports.services import writes
from provisioning.imports.tasks import apply_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import HEADERS, apply_now, csv_bytes, preview, xlsx_bytes
from tests.provisioning.imports.helpers import (
    row,
    row_errors,
    snapshot_people,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- apply ----------------------------------------------------------------------


def test_apply_writes_people_audit_rows_and_publishes_after_commit(
    admin_user, django_capture_on_commit_callbacks
):
    ada = PersonFactory(email="ada@example.com", job_title="Analyst")
    content = csv_bytes(
        [
            ["Email", "Job title", "Manager email"],
            ["ada@example.com", "Lead", ""],
            ["new@example.com", "Intern", "ada@example.com"],
        ]
    )
    job, _ = preview(content, admin_user)
    with django_capture_on_commit_callbacks(execute=False) as confirmed:
        services.confirm_import(job, by=admin_user)
    assert [c.func.__self__.name for c in confirmed] == ["provisioning.apply_import"]
    assert [c.args for c in confirmed] == [(job.pk,)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.apply_import(job.pk)
    newcomer = Person.objects.get(email="new@example.com")
    published = [(c.keywords["action"], c.keywords["person_ids"]) for c in callbacks if c.keywords]
    assert published == [("created", [newcomer.pk]), ("updated", [ada.pk])]
    ada.refresh_from_db()
    assert (ada.job_title, ada.version) == ("Lead", 2)
    assert (newcomer.status, newcomer.source, newcomer.version) == ("staged", "spreadsheet", 1)
    assert newcomer.manager == ada
    assert newcomer.has_usable_password() is False
    events = list(
        LifecycleEvent.objects.filter(actor_kind="import")
        .order_by("id")
        .values_list("person_id", "action", "actor_id", "actor_label", "changes")
    )
    label = f"Spreadsheet import #{job.pk} by {admin_user.display_name} <admin@example.com>"
    assert events == [
        (
            newcomer.pk,
            "created",
            admin_user.pk,
            label,
            {
                "email": [None, "new@example.com"],
                "job_title": [None, "Intern"],
                "manager": [None, "ada@example.com"],
            },
        ),
        (ada.pk, "updated", admin_user.pk, label, {"job_title": ["Analyst", "Lead"]}),
    ]
    assert job.status == "done"
    assert job.processed_rows == 2
    assert job.duration is not None


def test_same_file_twice_changes_nothing_the_second_time(admin_user):
    content = csv_bytes(
        [
            HEADERS,
            row("a@example.com", "1", "A", "One", "b@example.com", "T", "D", "020 7946 0018", "L"),
            row("b@example.com", "2", "B", "Two"),
        ]
    )
    job, _ = preview(content, admin_user)
    apply_now(job, admin_user)
    before = snapshot_people()
    events = LifecycleEvent.objects.count()
    job2, _ = preview(content, admin_user)
    assert job2.counts == {
        "new": 0,
        "updated": 0,
        "unchanged": 2,
        "deactivated": 0,
        "reactivated": 0,
        "skipped": 0,
        "errors": 0,
    }
    apply_now(job2, admin_user)
    assert snapshot_people() == before
    assert LifecycleEvent.objects.count() == events


def test_errors_block_unless_skip_invalid_then_valid_rows_import(admin_user):
    content = csv_bytes(
        [
            ["Email", "Phone number", "Manager email"],
            ["ok@example.com", "", ""],
            ["badphone@example.com", "123", ""],
            ["report@example.com", "", "badphone@example.com"],
        ]
    )
    job, _ = preview(content, admin_user)
    assert job.count_errors == 2  # the report's manager is on a rejected row
    with pytest.raises(ImportNotReady) as exc:
        services.confirm_import(job, by=admin_user)
    assert exc.value.message == (
        "2 rows have errors. Correct the file, or choose to import the valid rows and skip "
        "the invalid ones."
    )
    assert not Person.objects.filter(email="ok@example.com").exists()
    services.plan_import(job, by=admin_user, skip_invalid=True)
    job.refresh_from_db()
    job = apply_now(job, admin_user)
    assert job.status == "done"
    assert list(Person.objects.filter(source="spreadsheet").values_list("email", flat=True)) == [
        "ok@example.com"
    ]
    assert ("report@example.com" in str(row_errors(job))) is False
    assert [e[0] for e in row_errors(job)] == [3, 4]


def test_apply_is_all_or_nothing_and_a_retry_succeeds(admin_user, monkeypatch):
    ada = PersonFactory(email="ada@example.com", job_title="Analyst")
    content = csv_bytes(
        [["Email", "Job title"], ["ada@example.com", "Lead"], ["new@example.com", "Intern"]]
    )
    job, _ = preview(content, admin_user)
    services.confirm_import(job, by=admin_user)
    before = snapshot_people()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writes, "record_events_bulk", explode)
    with pytest.raises(RuntimeError):
        services.apply_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message == "The import failed unexpectedly; nothing was changed. Try again."
    assert snapshot_people() == before
    assert not LifecycleEvent.objects.filter(actor_kind="import").exists()

    monkeypatch.undo()
    job = services.apply_import(job.pk)
    assert job.status == "done"
    ada.refresh_from_db()
    assert ada.job_title == "Lead"
    assert Person.objects.filter(email="new@example.com").count() == 1


def test_apply_import_task_applies_once(admin_user):
    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    services.confirm_import(job, by=admin_user)
    assert apply_import_task(job.pk) == "done"
    assert apply_import_task(job.pk) == "done"
    assert Person.objects.filter(email="new@example.com").count() == 1
    assert LifecycleEvent.objects.filter(actor_kind="import").count() == 1


def test_unconfirmed_import_is_not_applied_by_the_task(admin_user):
    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    assert apply_import_task(job.pk) == "ready"
    assert not Person.objects.filter(email="new@example.com").exists()


def test_job_left_applying_by_a_dead_worker_is_taken_over(admin_user):
    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    services.confirm_import(job, by=admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="applying")
    job = services.apply_import(job.pk)
    assert job.status == "done"
    assert Person.objects.filter(email="new@example.com").exists()


def test_person_changed_since_preview_makes_apply_fail_cleanly(admin_user):
    ada = PersonFactory(email="ada@example.com", job_title="Analyst")
    job, _ = preview(
        csv_bytes([["Email", "Job title"], ["ada@example.com", "Lead"], ["n@example.com", ""]]),
        admin_user,
    )
    accounts_services.update_person(ada, by=admin_user, location="Lisbon")
    job = apply_now(job, admin_user)
    assert job.status == "failed"
    assert job.error_message == (
        "1 of the people in this import changed in Roster after the preview was made (for "
        "example ada@example.com). Nothing was changed; make a new preview."
    )
    assert not Person.objects.filter(email="n@example.com").exists()


def test_uploaded_file_is_deleted_after_apply(admin_user, django_capture_on_commit_callbacks):
    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    path = job.file.path
    services.confirm_import(job, by=admin_user, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_import(job.pk)
    job.refresh_from_db()
    assert job.file.name == ""
    assert job.file_deleted_at is not None
    import os

    assert not os.path.exists(path)
    progress = selectors.get_import_progress(job)
    assert (progress.status, progress.processed, progress.total) == ("done", 1, 1)


def test_purge_deletes_old_files_and_expires_unapplied_previews(admin_user, settings):
    settings.ROSTER_IMPORT_RETENTION_HOURS = 24
    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    fresh, _ = preview(csv_bytes([["Email"], ["other@example.com"]]), admin_user)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert services.purge_imports() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert (job.file.name, job.status) == ("", "failed")
    assert job.error_message == "This preview expired. Upload the file again."
    assert not ImportChunk.objects.filter(job=job).exists()
    assert fresh.file.name != ""
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)
    assert services.purge_imports() == 0


def test_xlsx_import_applies_like_csv(admin_user):
    content = xlsx_bytes({"People": [["Email", "Employee ID"], ["x@example.com", "0007"]]})
    job, _ = preview(content, admin_user, filename="people.xlsx")
    assert apply_now(job, admin_user).status == "done"
    assert Person.objects.get(email="x@example.com").external_id == "0007"


def test_progress_is_read_from_the_cache_while_applying(admin_user):
    from django.core.cache import cache

    job, _ = preview(csv_bytes([["Email"], ["new@example.com"]]), admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="applying", total_rows=1)
    cache.set(selectors.progress_key(job.pk), {"processed": 40, "total": 100})
    progress = selectors.get_import_progress(job)
    assert (progress.status, progress.processed, progress.total, progress.percent) == (
        "applying",
        40,
        100,
        40,
    )
    cache.delete(selectors.progress_key(job.pk))


def test_deactivating_through_an_import_revokes_open_invitations(admin_user):
    from accounts.invitations import invite_person
    from accounts.models import Invitation

    invited = invite_person(PersonFactory(email="ada@example.com"), by=admin_user).person
    job, _ = preview(csv_bytes([["Email", "Status"], ["ada@example.com", "No"]]), admin_user)
    apply_now(job, admin_user)
    invited.refresh_from_db()
    assert invited.status == "deactivated"
    assert list(Invitation.objects.filter(person=invited).values_list("status", flat=True)) == [
        "revoked"
    ]


# --- complete list ---------------------------------------------------------------


def test_complete_list_deactivates_missing_spreadsheet_people_after_typed_confirmation(admin_user):
    people = [
        PersonFactory(email=f"p{i:02}@example.com", source="spreadsheet", claimed=True)
        for i in range(20)
    ]
    manual = PersonFactory(email="manual@example.com")
    listed = [[p.email] for p in people[:17]]
    job, plan = preview(csv_bytes([["Email"], *listed]), admin_user, complete_list=True)
    assert job.count_deactivated == 3
    assert job.deactivation_threshold == 2
    assert job.needs_confirmation is True
    assert [(r.row, r.email, r.changes) for r in plan.by_action("deactivate")] == [
        (None, f"p{i}@example.com", {"status": ["active", "deactivated"]}) for i in (17, 18, 19)
    ]
    before = snapshot_people()
    with pytest.raises(ConfirmationRequired) as exc:
        services.confirm_import(job, by=admin_user, confirm_text="yes")
    assert exc.value.message == (
        "This import deactivates 3 people missing from the file, more than 2. Type "
        "“DEACTIVATE 3” to confirm."
    )
    assert snapshot_people() == before
    job = apply_now(job, admin_user, confirm_text="deactivate 3")
    assert job.status == "done"
    assert list(
        Person.objects.filter(status="deactivated")
        .order_by("email")
        .values_list("email", flat=True)
    ) == ["p17@example.com", "p18@example.com", "p19@example.com"]
    manual.refresh_from_db()
    assert manual.status == "staged"


def test_complete_list_under_the_threshold_needs_no_confirmation(admin_user):
    people = [PersonFactory(email=f"p{i:02}@example.com", source="spreadsheet") for i in range(30)]
    job, _ = preview(
        csv_bytes([["Email"], *[[p.email] for p in people[1:]]]), admin_user, complete_list=True
    )
    assert (job.count_deactivated, job.deactivation_threshold, job.needs_confirmation) == (
        1,
        3,
        False,
    )
    assert apply_now(job, admin_user).status == "done"
