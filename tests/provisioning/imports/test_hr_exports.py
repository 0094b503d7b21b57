"""Files exported from the tools HR teams use import without any column choices.

Each file is built here from the header row the tool documents (Workplace's
bulk template, Google Admin's "Bulk update users" CSV, Microsoft Entra's
"Bulk create" template, Okta's user import CSV).
"""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Person
from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview
from tests.provisioning.imports.helpers import (
    not_imported,
    person,
    row_errors,
)

pytestmark = pytest.mark.django_db


# --- Workplace from Meta: "Download template" of Admin Panel > People --------

WORKPLACE = [
    "Email",
    "First Name",
    "Last Name",
    "Job Title",
    "Department",
    "Phone Number",
    "Location",
    "Locale",
    "Manager Email",
    "Division",
    "Organization",
    "Start Date",
]


def test_workplace_people_template(admin_user):
    rows = [
        WORKPLACE,
        [
            "grace@example.com",
            "Grace",
            "Hopper",
            "Director",
            "Engineering",
            "+1 212 736 3100",
            "New York",
            "en_US",
            "",
            "Technology",
            "Example Inc",
            "2019-01-07",
        ],
        [
            "alan@example.com",
            "Alan",
            "Turing",
            "Engineer",
            "Engineering",
            "",
            "London",
            "en_GB",
            "grace@example.com",
            "Technology",
            "Example Inc",
            "2021-03-01",
        ],
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert job.counts == {
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "reactivated": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert not_imported(job) == ["Locale", "Division", "Organization"]
    apply_now(job, admin_user)
    alan = person("alan@example.com")
    assert (alan.job_title, alan.location, alan.manager.email, alan.start_date) == (
        "Engineer",
        "London",
        "grace@example.com",
        date(2021, 3, 1),
    )


# --- Google Admin: Users > Bulk update users > Download CSV template ----------

GOOGLE = [
    "First Name [Required]",
    "Last Name [Required]",
    "Email Address [Required]",
    "Password [Required]",
    "Password Hash Function [UPLOAD ONLY]",
    "Org Unit Path [Required]",
    "New Primary Email [UPLOAD ONLY]",
    "Recovery Email",
    "Home Secondary Email",
    "Work Secondary Email",
    "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
    "Work Phone",
    "Home Phone",
    "Mobile Phone",
    "Work Address",
    "Home Address",
    "Employee ID",
    "Employee Type",
    "Employee Title",
    "Manager Email",
    "Department",
    "Cost Center",
    "Building ID",
    "Floor Name",
    "Floor Section",
    "Change Password at Next Sign-In",
    "New Status [UPLOAD ONLY]",
]


def google_row(**values: str) -> list[str]:
    row = dict.fromkeys(GOOGLE, "")
    row.update({"Password [Required]": "****", "Org Unit Path [Required]": "/"})
    for header, value in values.items():
        row[header] = value
    return [row[h] for h in GOOGLE]


def test_google_bulk_update_users_csv(admin_user):
    existing = PersonFactory(email="ada@example.com", job_title="Analyst", phone_number="")
    rows = [
        GOOGLE,
        google_row(
            **{
                "First Name [Required]": existing.first_name,
                "Last Name [Required]": existing.last_name,
                "Email Address [Required]": "ada@example.com",
                "Work Phone": "+44 20 7946 0018",
                "Mobile Phone": "+44 7911 123457",
                "Employee Title": "Lead analyst",
                "Department": existing.department,
                "Cost Center": "CC-100",
            }
        ),
        google_row(
            **{
                "First Name [Required]": "Edsger",
                "Last Name [Required]": "Dijkstra",
                "Email Address [Required]": "edsger@example.com",
                "Mobile Phone": "+31 6 12345678",
                "Employee ID": "00042",
                "Employee Title": "Researcher",
                "Manager Email": "ada@example.com",
                "Department": "Research",
                "New Status [UPLOAD ONLY]": "Active",
            }
        ),
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_updated, job.count_errors) == (1, 1, 0)
    assert not_imported(job) == [
        "Password [Required]",
        "Password Hash Function [UPLOAD ONLY]",
        "Org Unit Path [Required]",
        "New Primary Email [UPLOAD ONLY]",
        "Recovery Email",
        "Home Secondary Email",
        "Work Secondary Email",
        "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
        "Home Phone",
        "Work Address",
        "Home Address",
        "Employee Type",
        "Cost Center",
        "Building ID",
        "Floor Name",
        "Floor Section",
        "Change Password at Next Sign-In",
        "New Status [UPLOAD ONLY]",
    ]
    # Work before mobile; the preview says so.
    notes = {c["header"]: c["note"] for c in job.column_notes}
    assert notes == {
        "Work Phone": "Phone number is read from this column; blank cells use “Mobile Phone”.",
        "Mobile Phone": "Phone number when “Work Phone” is blank.",
    }
    apply_now(job, admin_user)
    ada, edsger = person("ada@example.com"), person("edsger@example.com")
    assert (ada.job_title, ada.phone_number) == ("Lead analyst", "+442079460018")
    assert (edsger.external_id, edsger.phone_number, edsger.manager) == (
        "00042",
        "+31612345678",
        ada,
    )


# --- Microsoft Entra: Users > Bulk operations > Bulk create > template ---------

ENTRA = [
    "Name [displayName] Required",
    "User name [userPrincipalName] Required",
    "Initial password [passwordProfile] Required",
    "Block sign in (Yes/No) [accountEnabled] Required",
    "First name [givenName]",
    "Last name [surname]",
    "Job title [jobTitle]",
    "Department [department]",
    "Usage location [usageLocation]",
    "Street address [streetAddress]",
    "State or province [state]",
    "Country or region [country]",
    "Office [physicalDeliveryOfficeName]",
    "City [city]",
    "ZIP or postal code [postalCode]",
    "Office phone [telephoneNumber]",
    "Mobile phone [mobile]",
]


def entra_row(name, upn, blocked, title, office, phone="", mobile=""):
    first, last = name.split(" ", 1)
    return [
        name,
        upn,
        "Passw0rd!",
        blocked,
        first,
        last,
        title,
        "Operations",
        "GB",
        "1 Main Street",
        "",
        "United Kingdom",
        office,
        "London",
        "EC1A 1BB",
        phone,
        mobile,
    ]


def test_entra_bulk_create_template(admin_user):
    PersonFactory(email="left@example.com", claimed=True)
    rows = [
        ["version:v1.0"] + [""] * (len(ENTRA) - 1),
        ENTRA,
        entra_row(
            "Chris Green", "chris@example.com", "No", "Buyer", "Building 4", "", "+447911123456"
        ),
        entra_row("Dana Blue", "dana@example.com", "No", "Clerk", "Building 2", "+442079460019"),
        entra_row("Lee Left", "left@example.com", "Yes", "Clerk", "Building 2"),
        entra_row("Kim Red", "kim@example.com", "Perhaps", "Clerk", "Building 2"),
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert job.file_notes == [
        "Row 1 (“version:v1.0”) is a template line, not column headers, so it was skipped."
    ]
    assert (job.count_new, job.count_deactivated, job.count_errors) == (2, 1, 1)
    assert row_errors(job) == [
        (
            6,
            "Block sign in (Yes/No) [accountEnabled] Required",
            "“Perhaps” is not a value Roster understands in the Block sign in (Yes/No) "
            "[accountEnabled] Required column. Use Yes (sign-in blocked: deactivated) or "
            "No (active).",
        )
    ]
    assert not_imported(job) == [
        "Initial password [passwordProfile] Required",
        "Usage location [usageLocation]",
        "Street address [streetAddress]",
        "State or province [state]",
        "Country or region [country]",
        "City [city]",
        "ZIP or postal code [postalCode]",
    ]
    job.skip_invalid = True
    job.save(update_fields=["skip_invalid"])
    apply_now(job, admin_user)
    chris = person("chris@example.com")
    assert (chris.full_name, chris.location, chris.phone_number) == (
        "Chris Green",
        "Building 4",
        "+447911123456",
    )
    assert person("dana@example.com").phone_number == "+442079460019"
    assert person("left@example.com").is_active is False
    assert not Person.objects.filter(email="kim@example.com").exists()


# --- Okta: Directory > People > Import users from CSV > template ---------------

OKTA = [
    "login",
    "firstName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "email",
    "title",
    "displayName",
    "nickName",
    "profileUrl",
    "secondEmail",
    "mobilePhone",
    "primaryPhone",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "postalAddress",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
]


def okta_row(**values: str) -> list[str]:
    return [values.get(h, "") for h in OKTA]


def test_okta_user_import_csv(admin_user):
    rows = [
        OKTA,
        okta_row(
            login="isaac@example.com",
            firstName="Isaac",
            lastName="Newton",
            email="isaac@example.com",
            title="Head of Physics",
            displayName="Isaac Newton",
            primaryPhone="+44 20 7946 0020",
            mobilePhone="+44 7700 900020",
            employeeNumber="100",
            department="Physics",
            timezone="Europe/London",
        ),
        okta_row(
            login="emmy",
            firstName="Emmy",
            lastName="Noether",
            email="emmy@example.com",
            title="Mathematician",
            displayName="Emmy Noether",
            mobilePhone="+49 151 23456789",
            employeeNumber="101",
            department="Mathematics",
            managerId="100",
            manager="Isaac Newton",
        ),
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_errors) == (2, 0)
    assert not_imported(job) == [
        "login",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "nickName",
        "profileUrl",
        "secondEmail",
        "streetAddress",
        "city",
        "state",
        "zipCode",
        "countryCode",
        "postalAddress",
        "preferredLanguage",
        "locale",
        "timezone",
        "userType",
        "costCenter",
        "organization",
        "division",
        "manager",
    ]
    notes = {c["header"]: c["note"] for c in job.not_imported_columns if c["note"]}
    assert notes == {
        "login": "Not imported: Email is read from “email”.",
        "manager": "Not imported: the manager is read from “managerId”.",
    }
    apply_now(job, admin_user)
    emmy = person("emmy@example.com")
    assert (emmy.external_id, emmy.job_title, emmy.phone_number, emmy.manager.email) == (
        "101",
        "Mathematician",
        "+4915123456789",
        "isaac@example.com",
    )
    assert person("isaac@example.com").phone_number == "+442079460020"
