"""Files exported from the tools HR teams use import without any column choices.

Each file is built here from the header row the tool documents (Workplace's
bulk template, Google Admin's "Bulk update users" CSV, Microsoft Entra's
"Bulk create" template, Okta's user import CSV), or shaped like a typical HR
system report, a European spreadsheet and an Excel workbook with formulas.
"""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from accounts.models import Person
from provisioning.imports.selectors import list_import_rows
from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview

pytestmark = pytest.mark.django_db


def not_imported(job) -> list[str]:
    return job.unresolved_columns


def row_errors(job) -> list[tuple[int, str, str]]:
    return [
        (entry["row"], e["column"], e["message"])
        for entry in list_import_rows(job, action="error", limit=1000)
        for e in entry.get("errors", [])
    ]


def person(email: str) -> Person:
    return Person.objects.get(email=email)


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
    assert not_imported(job) == ["Locale", "Division", "Organization", "Start Date"]
    apply_now(job, admin_user)
    alan = person("alan@example.com")
    assert (alan.job_title, alan.location, alan.manager.email) == (
        "Engineer",
        "London",
        "grace@example.com",
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


# --- An HR system's custom report: 30 columns ----------------------------------

HRIS = [
    "Employee #",
    "First Name",
    "Last Name",
    "Preferred Name",
    "Work Email",
    "Personal Email",
    "Employee Title",
    "Department",
    "Division",
    "Cost Center",
    "Supervisor",
    "Supervisor Email",
    "Hire Date",
    "Original Hire Date",
    "Termination Date",
    "Status",
    "Employment Type",
    "FTE",
    "Pay Group",
    "Pay Frequency",
    "Work Phone",
    "Mobile Phone",
    "Work Location",
    "Country",
    "City",
    "State/Province",
    "Postal Code",
    "Gender",
    "Date of Birth",
    "Ethnicity",
]


def hris_row(number, first, last, email, title, status, supervisor="", location="HQ"):
    values = {
        "Employee #": number,
        "First Name": first,
        "Last Name": last,
        "Work Email": email,
        "Personal Email": f"{first.lower()}@home.example.net",
        "Employee Title": title,
        "Department": "Finance",
        "Division": "Corporate",
        "Cost Center": "4100",
        "Supervisor": "Mary Major" if supervisor else "",
        "Supervisor Email": supervisor,
        "Hire Date": "2020-02-03",
        "Status": status,
        "Employment Type": "Full-Time",
        "FTE": "1.0",
        "Work Location": location,
        "Country": "US",
        "Gender": "F",
        "Date of Birth": "1990-01-01",
    }
    return [values.get(h, "") for h in HRIS]


def test_hris_custom_report_with_30_columns(admin_user):
    PersonFactory(email="leaver@example.com", claimed=True)
    rows = [
        HRIS,
        hris_row("E001", "Mary", "Major", "mary@example.com", "CFO", "Active"),
        hris_row(
            "E002", "Lena", "Leave", "lena@example.com", "Accountant", "Leave", "mary@example.com"
        ),
        hris_row("E003", "Lou", "Leaver", "leaver@example.com", "Clerk", "Terminated"),
        hris_row("E004", "Rita", "Retired", "rita@example.com", "Clerk", "Retired"),
    ]
    assert len(HRIS) == 30
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_deactivated, job.count_errors) == (2, 1, 1)
    assert row_errors(job) == [
        (
            5,
            "Status",
            "“Retired” is not a status Roster understands in the Status column. Use Active, "
            "Leave, Inactive, Suspended, Terminated or Deactivated (or Yes/No).",
        )
    ]
    assert not_imported(job) == [
        "Preferred Name",
        "Personal Email",
        "Division",
        "Cost Center",
        "Supervisor",
        "Hire Date",
        "Original Hire Date",
        "Termination Date",
        "Employment Type",
        "FTE",
        "Pay Group",
        "Pay Frequency",
        "Country",
        "City",
        "State/Province",
        "Postal Code",
        "Gender",
        "Date of Birth",
        "Ethnicity",
    ]
    job.skip_invalid = True
    job.save(update_fields=["skip_invalid"])
    apply_now(job, admin_user)
    lena = person("lena@example.com")
    assert (lena.external_id, lena.job_title, lena.location, lena.manager.email) == (
        "E002",
        "Accountant",
        "HQ",
        "mary@example.com",
    )
    assert person("leaver@example.com").is_active is False


# --- A European spreadsheet: semicolons, Windows-1252, DD.MM.YYYY dates --------


def test_european_semicolon_csv(admin_user):
    rows = [
        ["Personalnummer", "First Name", "Last Name", "E-Mail", "Department", "Office",
         "Start Date", "Date of Birth", "Phone"],
        ["4711", "Jürgen", "Müller", "juergen@example.com", "Vertrieb", "München",
         "01.04.2021", "17.03.1980", "+49 89 1234567"],
        ["4712", "Zoë", "Lefèvre", "zoe@example.com", "Marketing", "Paris",
         "15.09.2022", "02.11.1991", ""],
    ]  # fmt: skip
    content = csv_bytes(rows, delimiter=";", encoding="cp1252")
    job, _ = preview(content, admin_user)
    assert job.file_errors == []
    assert (job.count_new, job.count_errors) == (2, 0)
    assert not_imported(job) == ["Personalnummer", "Start Date", "Date of Birth"]
    apply_now(job, admin_user)
    juergen = person("juergen@example.com")
    assert (juergen.first_name, juergen.last_name, juergen.location) == (
        "Jürgen",
        "Müller",
        "München",
    )
    assert person("zoe@example.com").first_name == "Zoë"


# --- An Excel workbook whose cells hold formulas -------------------------------


def with_cached_values(content: bytes, values: dict[str, str]) -> bytes:
    """Write the values Excel would have saved with each formula cell."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in values.items():
                    text, count = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v ?/>',
                        rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>',
                        text,
                    )
                    assert count == 1, ref
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_xlsx_with_formulas(admin_user):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["First Name", "Last Name", "Full Name", "Email", "Hire Date", "Years of Service"])
    sheet.append(
        [
            "Ada",
            "Lovelace",
            '=A2&" "&B2',
            '=LOWER(A2)&"@example.com"',
            "2015-12-10",
            '=DATEDIF(E2,TODAY(),"y")',
        ]
    )
    sheet.append(["Mary", "Somerville", '=A3&" "&B3', '=LOWER(A3)&"@example.com"', "2018-02-26",
                  "=DATEDIF(E3,TODAY(),\"y\")"])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = with_cached_values(
        buffer.getvalue(),
        {
            "C2": "Ada Lovelace",
            "D2": "ada@example.com",
            "F2": "10",
            "C3": "Mary Somerville",
            "D3": "mary@example.com",
            "F3": "8",
        },
    )
    job, _ = preview(content, admin_user, filename="people.xlsx")
    assert job.file_errors == []
    assert (job.count_new, job.count_errors) == (2, 0)
    assert not_imported(job) == ["Hire Date", "Years of Service"]
    apply_now(job, admin_user)
    # The values Excel saved are read; formulas are never evaluated.
    assert person("ada@example.com").full_name == "Ada Lovelace"
    assert person("mary@example.com").full_name == "Mary Somerville"


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
