"""Planning and applying imports: diffs, validation across rows, roles, audit, atomicity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.exceptions import NotAllowed
from accounts.models import LifecycleEvent, Person
from provisioning.exceptions import ConfirmationRequired, ImportNotReady
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.imports.reader import read_spreadsheet
from provisioning.imports.services import writes
from provisioning.imports.tasks import apply_import_task
from tests.factories import AllowedDomainFactory, PersonFactory
from tests.provisioning.conftest import HEADERS, apply_now, csv_bytes, preview, xlsx_bytes
from tests.provisioning.test_spreadsheet_files import row_errors

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def row(email, ext="", first="", last="", manager="", title="", dept="", phone="", loc=""):
    return [email, ext, first, last, manager, title, dept, phone, loc]


def snapshot_people() -> list[tuple]:
    return list(
        Person.objects.order_by("pk").values_list(
            "email", "external_id", "job_title", "manager_id", "status", "version"
        )
    )


# --- the plan -------------------------------------------------------------------


def test_plan_counts_and_field_level_changes(admin_user):
    ada = PersonFactory(
        email="ada@example.com",
        external_id="1",
        first_name="Ada",
        last_name="Lovelace",
        full_name="Ada Lovelace",
        job_title="Analyst",
        department="Engineering",
        location="London",
    )
    PersonFactory(
        email="bob@example.com",
        external_id="2",
        first_name="Bob",
        last_name="Stone",
        full_name="Bob Stone",
        job_title="Boss",
        department="Engineering",
        location="Paris",
    )
    content = csv_bytes(
        [
            HEADERS,
            row(
                "ada@example.com",
                "1",
                "Ada",
                "King",
                "bob@example.com",
                "Lead",
                "Engineering",
                "",
                "London",
            ),
            row("bob@example.com", "2", "Bob", "Stone", "", "Boss", "Engineering", "", "Paris"),
            row(
                "cy@example.com",
                "3",
                "Cy",
                "Young",
                "ada@example.com",
                "",
                "Sales",
                "+44 20 7946 0018",
                "",
            ),
            row("bad", "4"),
        ]
    )
    job, plan = preview(content, admin_user)
    assert job.counts == {
        "new": 1,
        "updated": 1,
        "unchanged": 1,
        "deactivated": 0,
        "reactivated": 0,
        "skipped": 0,
        "errors": 1,
    }
    ada_row = plan.rows[0]
    assert ada_row.action == "update"
    assert ada_row.person_id == ada.pk
    assert ada_row.changes == {
        "last_name": ["Lovelace", "King"],
        "full_name": ["Ada Lovelace", "Ada King"],
        "job_title": ["Analyst", "Lead"],
        "manager": [None, "bob@example.com"],
    }
    assert plan.rows[2].changes == {
        "email": [None, "cy@example.com"],
        "external_id": [None, "3"],
        "first_name": [None, "Cy"],
        "last_name": [None, "Young"],
        "department": [None, "Sales"],
        "phone_number": [None, "+442079460018"],
        "full_name": [None, "Cy Young"],
        "manager": [None, "ada@example.com"],
    }
    assert row_errors(job) == [(5, "Email", "“bad” is not a valid email address.")]
    # The preview is stored, paginated and filterable by action.
    assert [r["email"] for r in selectors.list_import_rows(job, action="update")] == [
        "ada@example.com"
    ]
    assert [r["action"] for r in selectors.list_import_rows(job)] == [
        "error",
        "new",
        "update",
        "unchanged",
    ]
    assert [r["row"] for r in selectors.list_import_rows(job, offset=1, limit=2)] == [4, 2]
    assert Person.objects.count() == 3


def test_preview_pages_span_chunks_of_large_plans(admin_user):
    rows = [["Email"]] + [[f"p{i:04}@example.com"] for i in range(1200)]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert ImportChunk.objects.filter(job=job, action="new").count() == 3
    page = selectors.list_import_rows(job, action="new", offset=495, limit=10)
    assert [r["row"] for r in page] == list(range(497, 507))
    from django.core.paginator import Paginator

    paginator = Paginator(selectors.ImportRowSequence(job, "new"), 100)
    assert paginator.count == 1200
    assert [r["row"] for r in paginator.page(12).object_list][-1] == 1201


@pytest.mark.parametrize(
    ("content_rows", "expected"),
    [
        (
            [row("Ada@example.com"), row("ada@EXAMPLE.com")],
            [
                (
                    2,
                    "Email",
                    "The email ada@example.com appears on rows 2 and 3. Each person can appear "
                    "only once.",
                ),
                (
                    3,
                    "Email",
                    "The email ada@example.com appears on rows 2 and 3. Each person can appear "
                    "only once.",
                ),
            ],
        ),
        (
            [row("ada@example.com", "9")],
            [
                (
                    2,
                    "Employee ID",
                    "The email ada@example.com belongs to Ada Lovelace <ada@example.com>, whose "
                    "Employee ID is 1, not 9. Correct the email or the ID.",
                )
            ],
        ),
        (
            [row("cy@example.com", phone="12345")],
            [(2, "Phone number", "“12345” is not a valid phone number.")],
        ),
        (
            [row("cy@example.com", manager="nobody@example.com")],
            [
                (
                    2,
                    "Manager email",
                    "No one with the email nobody@example.com is in Roster or in this file.",
                )
            ],
        ),
        (
            [row("cy@example.com", manager="cy@example.com")],
            [(2, "Manager email", "A person cannot be their own manager.")],
        ),
        (
            [
                row("cy@example.com", manager="dee@example.com"),
                row("dee@example.com", manager="cy@example.com"),
            ],
            [
                (
                    2,
                    "Manager email",
                    "This manager would create a reporting loop: cy@example.com → dee@example.com "
                    "→ cy@example.com.",
                ),
                (
                    3,
                    "Manager email",
                    "This manager would create a reporting loop: cy@example.com → dee@example.com "
                    "→ cy@example.com.",
                ),
            ],
        ),
        (
            [
                row("ada@example.com", "1", manager="cy@example.com"),
                row("cy@example.com", manager="ada@example.com"),
            ],
            [
                (
                    2,
                    "Manager email",
                    "This manager would create a reporting loop: Ada Lovelace → cy@example.com → "
                    "Ada Lovelace.",
                ),
                (
                    3,
                    "Manager email",
                    "This manager would create a reporting loop: Ada Lovelace → cy@example.com → "
                    "Ada Lovelace.",
                ),
            ],
        ),
    ],
    ids=[
        "duplicate-email-in-file",
        "email-of-person-with-other-id",
        "invalid-phone",
        "manager-not-found",
        "self-manager",
        "manager-cycle-new-people",
        "manager-cycle-with-existing",
    ],
)
def test_row_errors_name_row_and_column_and_nothing_is_written(admin_user, content_rows, expected):
    PersonFactory(email="ada@example.com", external_id="1", full_name="Ada Lovelace")
    before = snapshot_people()
    job, _ = preview(csv_bytes([HEADERS, *content_rows]), admin_user)
    assert sorted(row_errors(job)) == sorted(expected)
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)
    assert snapshot_people() == before
    assert not LifecycleEvent.objects.filter(actor_kind="import").exists()


def test_cycle_through_existing_reporting_line_is_an_error(admin_user):
    boss = PersonFactory(email="boss@example.com")
    PersonFactory(email="deputy@example.com", manager=boss)
    job, _ = preview(
        csv_bytes([["Email", "Manager email"], ["boss@example.com", "deputy@example.com"]]),
        admin_user,
    )
    assert [e[:2] for e in row_errors(job)] == [(2, "Manager email")]


def test_disallowed_domain_and_invalid_email(admin_user):
    AllowedDomainFactory(domain="example.com")
    job, _ = preview(csv_bytes([["Email"], ["x@other.org"], ["x@@example.com"]]), admin_user)
    assert row_errors(job) == [
        (
            2,
            "Email",
            "The domain other.org is not one of the organisation's allowed email domains.",
        ),
        (3, "Email", "“x@@example.com” is not a valid email address."),
    ]


def test_manager_by_employee_id_and_by_later_row(admin_user):
    content = csv_bytes(
        [
            ["Email", "Employee ID", "Manager employee ID"],
            ["a@example.com", "A1", "B2"],
            ["b@example.com", "B2", ""],
        ]
    )
    job, _ = preview(content, admin_user)
    assert job.count_new == 2
    job = apply_now(job, admin_user)
    assert job.status == "done"
    a = Person.objects.get(email="a@example.com")
    assert a.manager.email == "b@example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Yes", "reactivate"),
        ("y", "reactivate"),
        ("TRUE", "reactivate"),
        ("1", "reactivate"),
        ("Active", "reactivate"),
        ("No", "unchanged"),
        ("Deactivated", "unchanged"),
        ("Inactive", "unchanged"),
        ("0", "unchanged"),
    ],
)
def test_status_values_understood_for_a_deactivated_person(admin_user, value, expected):
    PersonFactory(email="ada@example.com", status=Person.Status.DEACTIVATED)
    _, plan = preview(csv_bytes([["Email", "Status"], ["ada@example.com", value]]), admin_user)
    assert plan.rows[0].action == expected


def test_unknown_status_value_is_an_error(admin_user):
    job, _ = preview(csv_bytes([["Email", "isActive"], ["ada@example.com", "maybe"]]), admin_user)
    assert row_errors(job) == [
        (
            2,
            "isActive",
            "“maybe” is not a status Roster understands in the isActive column. Use Active, "
            "Leave, Inactive, Suspended, Terminated or Deactivated (or Yes/No).",
        )
    ]


def test_status_column_deactivates_and_reactivates_like_the_services(admin_user):
    claimed = PersonFactory(email="ada@example.com", claimed=True)
    gone = PersonFactory(email="bob@example.com", status=Person.Status.DEACTIVATED)
    stamp = claimed.security_stamp
    content = csv_bytes(
        [["Email", "Status"], ["ada@example.com", "No"], ["bob@example.com", "Yes"]]
    )
    job, plan = preview(content, admin_user)
    assert (job.count_deactivated, job.count_reactivated) == (1, 1)
    assert plan.rows[0].changes == {"status": ["active", "deactivated"]}
    apply_now(job, admin_user)
    claimed.refresh_from_db()
    gone.refresh_from_db()
    assert (claimed.status, claimed.is_active) == ("deactivated", False)
    assert claimed.deactivated_at is not None
    assert claimed.security_stamp != stamp
    assert claimed.version == 2
    assert (gone.status, gone.deactivated_at) == ("staged", None)
    assert list(
        LifecycleEvent.objects.filter(actor_kind="import")
        .order_by("person_id")
        .values_list("person__email", "action", "changes")
    ) == [
        ("ada@example.com", "deactivated", {"status": ["active", "deactivated"]}),
        ("bob@example.com", "reactivated", {"status": ["deactivated", "staged"]}),
    ]


def test_importer_cannot_deactivate_themselves(admin_user):
    job, _ = preview(csv_bytes([["Email", "Status"], [admin_user.email, "No"]]), admin_user)
    assert row_errors(job) == [(2, "Status", "You cannot deactivate your own account.")]


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


# --- roles -----------------------------------------------------------------------


def test_auditor_cannot_upload_preview_or_apply(auditor, admin_user):
    content = csv_bytes([["Email"], ["new@example.com"]])
    with pytest.raises(NotAllowed):
        services.start_import(content, by=auditor, filename="people.csv")
    assert ImportJob.objects.count() == 0
    job = services.start_import(content, by=admin_user, filename="people.csv")
    with pytest.raises(NotAllowed):
        services.plan_import(job, by=auditor)
    services.plan_import(job, by=admin_user)
    with pytest.raises(NotAllowed):
        services.confirm_import(job, by=auditor)
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert not Person.objects.filter(email="new@example.com").exists()


def test_account_manager_imports_but_cannot_use_complete_list(account_manager):
    content = csv_bytes([["Email"], ["new@example.com"]])
    with pytest.raises(NotAllowed):
        services.start_import(
            content, by=account_manager, filename="people.csv", complete_list=True
        )
    assert ImportJob.objects.count() == 0
    job, _ = preview(content, account_manager)
    assert apply_now(job, account_manager).status == "done"


# --- spreadsheets out ---------------------------------------------------------------


def test_export_reimports_with_zero_changes(admin_user):
    boss = PersonFactory(
        email="boss@example.com",
        external_id="00042",
        phone_number="+442079460018",
        location="=HYPERLINK(1)",
    )
    PersonFactory(
        email="dev@example.com",
        first_name="-Dash",
        full_name="@Odd Name",
        manager=boss,
        job_title="+Plus",
        status=Person.Status.DEACTIVATED,
    )
    PersonFactory(email="inv@example.com", status=Person.Status.INVITED, department="\tTabbed")
    people = Person.objects.all()
    for file_format in ("csv", "xlsx"):
        data = services.export_people(people, file_format, by=admin_user)
        job, plan = preview(data, admin_user, filename=f"people.{file_format}")
        assert job.file_errors == []
        assert job.counts == {
            "new": 0,
            "updated": 0,
            "unchanged": 4,
            "deactivated": 0,
            "reactivated": 0,
            "skipped": 0,
            "errors": 0,
        }, [r.as_dict() for r in plan.rows]


def test_export_neutralises_formulas_and_shows_phones_in_display_form(admin_user):
    PersonFactory(
        email="boss@example.com", phone_number="+442079460018", location="=cmd|' /C calc'!A0"
    )
    data = services.export_people(
        Person.objects.filter(email="boss@example.com"), "csv", by=admin_user
    )
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "Email,Employee ID,First name,Last name,Full name,Manager email,Manager employee ID,"
        "Job title,Department,Phone number,Location,Status"
    )
    assert "'+44 20 7946 0018" in text
    assert "'=cmd|' /C calc'!A0" in text


def test_template_has_every_column_and_an_example_row(admin_user):
    import io

    for file_format in ("csv", "xlsx"):
        data = services.build_template(file_format)
        parsed = read_spreadsheet(io.BytesIO(data), filename=f"template.{file_format}")
        assert parsed.errors == []
        assert [c.attribute for c in parsed.columns] == [
            "email",
            "external_id",
            "first_name",
            "last_name",
            "full_name",
            "manager_email",
            "manager_external_id",
            "job_title",
            "department",
            "phone_number",
            "location",
            "is_active",
        ]
        assert parsed.records[0].phone_number == "+44 20 7946 0018"
        assert parsed.records[0].external_id == "00123"


def test_error_report_has_original_rows_and_an_errors_column(admin_user):
    import io

    content = csv_bytes(
        [["Email", "Phone number"], ["ok@example.com", ""], ["bad@example.com", "=1+1"]]
    )
    job, _ = preview(content, admin_user)
    report = services.build_error_report(job, "csv", by=admin_user).decode("utf-8-sig")
    assert report.splitlines() == [
        "Email,Phone number,Errors",
        'bad@example.com,\'=1+1,"Row 3, Phone number: “=1+1” is not a phone number."',
    ]
    workbook = services.build_error_report(job, "xlsx", by=admin_user)
    parsed = read_spreadsheet(
        io.BytesIO(workbook), filename="errors.xlsx", mapping={"Errors": None}
    )
    assert parsed.records[0].raw == {
        "Email": "bad@example.com",
        "Phone number": "'=1+1",
        "Errors": "Row 3, Phone number: “=1+1” is not a phone number.",
    }


def test_xlsx_import_applies_like_csv(admin_user):
    content = xlsx_bytes({"People": [["Email", "Employee ID"], ["x@example.com", "0007"]]})
    job, _ = preview(content, admin_user, filename="people.xlsx")
    assert apply_now(job, admin_user).status == "done"
    assert Person.objects.get(email="x@example.com").external_id == "0007"


def test_plan_import_task_prepares_a_queued_preview_once(admin_user):
    from provisioning.imports.tasks import plan_import_task, purge_imports_task

    job = services.start_import(
        csv_bytes([["Email"], ["new@example.com"]]), by=admin_user, filename="people.csv"
    )
    assert plan_import_task(job.pk) == "ready"
    assert plan_import_task(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.counts["new"] == 1
    assert purge_imports_task() == 0


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
