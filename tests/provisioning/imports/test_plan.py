"""Planning imports: counts, field-level diffs, validation across rows, status values."""

from __future__ import annotations

import pytest

from accounts.models import LifecycleEvent, Person
from provisioning.exceptions import ImportNotReady
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportChunk
from tests.factories import AllowedDomainFactory, PersonFactory
from tests.provisioning.conftest import HEADERS, apply_now, csv_bytes, preview
from tests.provisioning.imports.helpers import (
    row,
    row_errors,
    snapshot_people,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


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
