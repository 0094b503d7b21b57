"""Reading uploaded files: which columns are recognised, not imported, or missing."""

from __future__ import annotations

import pytest

from provisioning.exceptions import ImportNotReady
from provisioning.imports import services
from tests.provisioning.conftest import apply_now, csv_bytes, preview
from tests.provisioning.imports.helpers import (
    people_count,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- columns -------------------------------------------------------------------


def test_header_variants_from_other_consoles_are_recognised(admin_user):
    headers = [
        "E-mail Address [Required]",
        "Employee ID",
        "Given name",
        "Surname",
        "Display name",
        "Manager Employee ID",
        "Title",
        "Dept",
        "Phone Number",
        "Office",
        "isActive",
    ]
    job, _ = preview(
        csv_bytes(
            [headers, ["ada@example.com", "7", "Ada", "L", "Ada L", "", "", "", "", "", "Y"]]
        ),
        admin_user,
    )
    assert job.file_errors == []
    assert [c["attribute"] for c in job.columns] == [
        "email",
        "external_id",
        "first_name",
        "last_name",
        "full_name",
        "manager_external_id",
        "job_title",
        "department",
        "phone_number",
        "location",
        "is_active",
    ]
    assert job.count_new == 1


def test_file_without_email_column_is_refused(admin_user):
    job, plan = preview(csv_bytes([["Name", "Department"], ["Ada", "Eng"]]), admin_user)
    assert job.file_errors == [
        {
            "row": 1,
            "column": "Email",
            "message": "The file has no Email column. Add one (the header can be “Email” or "
            "“Email Address”) with each person's work email.",
        }
    ]
    assert plan.rows == []
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)


def test_misspelled_email_header_is_not_imported_and_the_missing_email_blocks(admin_user):
    content = csv_bytes([["Emial", "Shoe size"], ["ada@example.com", "38"]])
    job, _ = preview(content, admin_user)
    assert job.unresolved_columns == ["Emial", "Shoe size"]
    assert [(c["header"], c["suggestion"]) for c in job.not_imported_columns] == [
        ("Emial", "Email"),
        ("Shoe size", ""),
    ]
    # Only the missing email is a problem; the extra column never is.
    assert [e["column"] for e in job.file_errors] == ["Email"]
    with pytest.raises(ImportNotReady):
        services.confirm_import(job, by=admin_user)
    assert people_count() == 1

    services.plan_import(job, by=admin_user, mapping={"Emial": "email", "Shoe size": None})
    job.refresh_from_db()
    assert job.file_errors == []
    assert [(c["header"], c["state"]) for c in job.columns] == [
        ("Emial", "mapped"),
        ("Shoe size", "ignored"),
    ]
    assert job.count_new == 1


def test_extra_columns_are_not_imported_and_never_block(admin_user):
    content = csv_bytes(
        [["Email", "Shoe size", "Date of Birth"], ["ada@example.com", "38", "2024-05-31"]]
    )
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert job.unresolved_columns == ["Shoe size", "Date of Birth"]
    apply_now(job, admin_user)
    assert people_count() == 2
