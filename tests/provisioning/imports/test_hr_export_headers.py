"""Headers of other tools' exports: recognised spellings, preferred columns, columns
that fill in blanks, and what the preview says about them."""

from __future__ import annotations

import pytest

from accounts.models import Person
from tests.provisioning.conftest import csv_bytes, preview
from tests.provisioning.imports.helpers import (
    row_errors,
)

pytestmark = pytest.mark.django_db


# --- headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "attribute"),
    [
        ("Supervisor", "manager_email"),
        ("Supervisor Email", "manager_email"),
        ("Manager Email", "manager_email"),
        ("Manager Employee ID", "manager_external_id"),
        ("managerId", "manager_external_id"),
        ("Employee #", "external_id"),
        ("Employee Number", "external_id"),
        ("Employee ID", "external_id"),
        ("employeeNumber", "external_id"),
        ("Employee Title", "job_title"),
        ("Title", "job_title"),
        ("JOB  TITLE", "job_title"),
        ("Work Email", "email"),
        ("E-mail", "email"),
        ("User name [userPrincipalName] Required", "email"),
        ("Work Phone", "phone_number"),
        ("Office phone [telephoneNumber]", "phone_number"),
        ("Mobile Phone", "phone_number"),
        ("primaryPhone", "phone_number"),
        ("mobilePhone", "phone_number"),
        ("Office", "location"),
        ("Location", "location"),
        ("Work Location", "location"),
        ("Building", "location"),
        ("Status", "is_active"),
        ("Block sign in (Yes/No) [accountEnabled] Required", "is_active"),
        ("Email Address [Required]", "email"),
    ],
)
def test_export_headers_are_recognised(header, attribute):
    from provisioning.imports.reader import match_columns

    columns, _ = match_columns([header])
    assert columns[0].attribute == attribute


def test_two_equally_preferred_columns_for_one_attribute_are_a_problem(admin_user):
    content = csv_bytes([["Email", "Work Email"], ["a@example.com", "b@example.com"]])
    job, _ = preview(content, admin_user)
    assert [e["message"] for e in job.file_errors] == [
        "The columns “Email” and “Work Email” both hold Email. "
        "Ignore one of them or choose another attribute for it."
    ]
    assert Person.objects.count() == 1


def test_user_name_is_the_email_only_without_an_email_column(admin_user):
    content = csv_bytes([["User name", "Email"], ["ada", "ada@example.com"]])
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert [(c["header"], c["note"]) for c in job.not_imported_columns] == [
        ("User name", "Not imported: Email is read from “Email”.")
    ]
    assert job.count_new == 1


def test_preview_page_says_what_was_skipped_and_not_imported(admin_client):
    from django.urls import reverse

    from provisioning.imports import services
    from provisioning.imports.models import ImportJob

    rows = [
        ["version:v1.0", "", ""],
        ["User name [userPrincipalName] Required", "Division", "Work Phone"],
        ["ada@example.com", "Technology", "+44 20 7946 0018"],
    ]
    admin = Person.objects.get(email="admin@example.com")
    job = services.start_import(csv_bytes(rows), by=admin, filename="entra.csv")
    services.plan_import(job, by=admin)
    job = ImportJob.objects.get(pk=job.pk)
    page = admin_client.get(
        reverse("admin:provisioning_importjob_change", args=[job.pk])
    ).content.decode()
    assert (
        "Row 1 (“version:v1.0”) is a template line, not column headers, so it was skipped." in page
    )
    assert "Columns not imported" in page
    assert 'id="count-not-imported" data-count="1"' in page
    assert "Division" in page
    assert 'id="file-problems"' not in page
    # The counts come before the rows.
    assert page.index('id="import-counts"') < page.index('id="import-rows"')


def test_a_personal_email_column_is_not_imported(admin_user):
    content = csv_bytes([["Email", "Email (Personal)"], ["ada@example.com", "ada@home.example"]])
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert job.unresolved_columns == ["Email (Personal)"]
    assert job.count_new == 1


def test_an_error_in_a_fill_in_column_names_that_column(admin_user):
    content = csv_bytes([["Email", "Work Phone", "Mobile Phone"], ["ada@example.com", "", "12"]])
    job, _ = preview(content, admin_user)
    assert [(row, column) for row, column, _ in row_errors(job)] == [(2, "Mobile Phone")]
    assert Person.objects.count() == 1
