"""manage.py import_people / export_people: output, exit codes, roles."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from accounts.models import LifecycleEvent, Person
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def run(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_people", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes([["Email", "Job title"], ["ada@example.com", "Lead"], ["new@example.com", ""]])
    )
    return path


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes([["Email", "Phone number"], ["ok@example.com", ""], ["x@example.com", "12"]])
    )
    return path


def test_dry_run_prints_the_plan_as_json_and_writes_nothing(admin_user, good_file):
    PersonFactory(email="ada@example.com", job_title="Analyst")
    code, out, _ = run(str(good_file), "--dry-run", "--json", "--as", admin_user.email)
    assert code == 0
    result = json.loads(out)
    assert result["counts"] == {
        "new": 1,
        "updated": 1,
        "unchanged": 0,
        "deactivated": 0,
        "reactivated": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert result["applied"] is False
    assert result["changes"] == [
        {
            "row": 3,
            "action": "new",
            "email": "new@example.com",
            "changes": {"email": [None, "new@example.com"]},
        },
        {
            "row": 2,
            "action": "update",
            "email": "ada@example.com",
            "changes": {"job_title": ["Analyst", "Lead"]},
        },
    ]
    assert Person.objects.get(email="ada@example.com").job_title == "Analyst"
    assert not Person.objects.filter(email="new@example.com").exists()


def test_import_applies_and_prints_the_result(admin_user, good_file):
    code, out, _ = run(str(good_file), "--as", admin_user.email)
    assert code == 0
    assert out.splitlines()[0].endswith(
        "people.csv: 2 new, 0 updated, 0 unchanged, 0 deactivated, 0 reactivated, 0 errors"
    )
    assert "Applied in" in out
    assert Person.objects.filter(email__in=["ada@example.com", "new@example.com"]).count() == 2


def test_errors_exit_non_zero_and_apply_nothing(admin_user, bad_file):
    code, out, err = run(str(bad_file), "--as", admin_user.email)
    assert code == 1
    assert "  Row 3, Phone number: “12” is not a valid phone number." in out
    assert err.startswith("Nothing was applied: 1 row has errors.")
    assert not Person.objects.filter(email="ok@example.com").exists()


def test_skip_invalid_imports_the_valid_rows(admin_user, bad_file):
    code, out, _ = run(str(bad_file), "--skip-invalid", "--json", "--as", admin_user.email)
    assert code == 0
    result = json.loads(out)
    assert result["applied"] is True
    assert result["errors"] == [
        {
            "row": 3,
            "email": "x@example.com",
            "errors": [{"column": "Phone number", "message": "“12” is not a valid phone number."}],
        }
    ]
    assert Person.objects.filter(email="ok@example.com").exists()


def test_unreadable_file_exits_non_zero(admin_user, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, out, _ = run(str(path), "--json", "--as", admin_user.email)
    assert code == 1
    assert json.loads(out)["error"] == "The file is empty."


def test_auditor_cannot_import(auditor, good_file):
    code, _, err = run(str(good_file), "--as", auditor.email)
    assert code == 1
    assert err == "Nothing was applied: Your role does not allow this action.\n"
    assert not Person.objects.filter(email="new@example.com").exists()


def test_account_manager_cannot_import_a_complete_list(account_manager, good_file):
    code, _, err = run(str(good_file), "--complete-list", "--as", account_manager.email)
    assert code == 1
    assert "Your role does not allow this action." in err
    assert not Person.objects.filter(email="new@example.com").exists()


def test_complete_list_needs_the_typed_confirmation(admin_user, tmp_path):
    for i in range(5):
        PersonFactory(email=f"p{i}@example.com", source="spreadsheet")
    path = tmp_path / "all.csv"
    path.write_bytes(csv_bytes([["Email"], ["p0@example.com"]]))
    code, _, err = run(str(path), "--complete-list", "--as", admin_user.email)
    assert code == 1
    assert "Type “DEACTIVATE 4” to confirm." in err
    assert Person.objects.filter(status="deactivated").count() == 0
    code, _, _ = run(
        str(path), "--complete-list", "--confirm", "DEACTIVATE 4", "--as", admin_user.email
    )
    assert code == 0
    assert Person.objects.filter(status="deactivated").count() == 4


def test_without_as_the_command_line_imports_with_its_own_audit_label(db, good_file):
    code, _, _ = run(str(good_file))
    assert code == 0
    event = LifecycleEvent.objects.filter(actor_kind="import").first()
    assert event.actor is None
    assert event.actor_label.endswith(" by Command line")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(admin_user, tmp_path, file_format):
    boss = PersonFactory(
        email="boss@example.com", department="Treasury", phone_number="+442079460018"
    )
    PersonFactory(email="dev@example.com", department="Treasury", manager=boss)
    PersonFactory(email="fin@example.com", department="Finance")
    path = tmp_path / f"out.{file_format}"
    call_command(
        "export_people", "--department", "Treasury", "--format", file_format, "-o", str(path)
    )
    code, out, _ = run(str(path), "--json", "--as", admin_user.email)
    assert code == 0
    result = json.loads(out)
    assert result["counts"]["unchanged"] == 2
    assert sum(result["counts"].values()) == 2


def test_columns_not_imported_are_reported_in_json_and_do_not_stop_the_import(admin_user, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["Work Email", "Start Date", "Cost Centre", "Work Phone", "Mobile Phone"],
                ["new@example.com", "2024-05-31", "4100", "", "+44 7911 123456"],
            ]
        )
    )
    code, out, _ = run(str(path), "--json", "--as", admin_user.email)
    assert code == 0
    result = json.loads(out)
    assert result["file_errors"] == []
    assert result["not_imported_columns"] == [
        {"header": "Cost Centre", "suggestion": "", "note": ""},
    ]
    assert result["notes"] == [
        "Work Phone: Phone number is read from this column; blank cells use “Mobile Phone”.",
        "Mobile Phone: Phone number when “Work Phone” is blank.",
    ]
    new = Person.objects.get(email="new@example.com")
    assert (new.phone_number, str(new.start_date)) == ("+447911123456", "2024-05-31")


def test_ignore_column_and_map_still_choose_what_a_column_holds(admin_user, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(
        csv_bytes([["Email", "Work title", "Office"], ["new@example.com", "Lead", "Leeds"]])
    )
    code, out, _ = run(
        str(path),
        "--json",
        "--map",
        "Work title=job_title",
        "--ignore-column",
        "Office",
        "--as",
        admin_user.email,
    )
    assert code == 0
    assert json.loads(out)["not_imported_columns"] == []
    new = Person.objects.get(email="new@example.com")
    assert (new.job_title, new.location) == ("Lead", "")
