"""Start Date / Hire Date columns: the spellings HR exports use, the rule for
slash dates, bad values, re-imports, and inviting on each start date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Invitation, Person
from provisioning.imports import services
from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview
from tests.provisioning.imports.helpers import person, row_errors

pytestmark = pytest.mark.django_db


def dates_of(*emails: str) -> list[date | None]:
    return [person(email).start_date for email in emails]


def test_iso_day_first_month_name_and_excel_serial_dates_are_start_dates(admin_user):
    rows = [
        ["Email", "Start Date"],
        ["a@example.com", "2025-09-01"],
        ["b@example.com", "01.10.2025"],
        ["c@example.com", "3 Nov 2025"],
        ["d@example.com", "45992"],
        ["e@example.com", "2025-12-01 00:00:00"],
        ["f@example.com", ""],
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert (job.file_errors, job.count_new, job.count_errors) == ([], 6, 0)
    assert job.unresolved_columns == []
    apply_now(job, admin_user)
    assert dates_of(*(f"{c}@example.com" for c in "abcdef")) == [
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 3),
        date(2025, 12, 1),
        date(2025, 12, 1),
        None,
    ]


def test_slash_dates_are_month_first_and_the_preview_says_so(admin_user):
    rows = [
        ["Email", "Hire Date"],
        ["a@example.com", "03/04/2025"],
        ["b@example.com", "12/31/2025"],
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.count_errors == 0
    assert (
        "Dates in “Hire Date” such as 03/04/2025 were read month first (MM/DD/YYYY), as US "
        "tools write them. Write dates as YYYY-MM-DD to avoid any doubt." in job.file_notes
    )
    apply_now(job, admin_user)
    assert dates_of("a@example.com", "b@example.com") == [date(2025, 3, 4), date(2025, 12, 31)]


def test_a_day_over_12_first_makes_the_whole_column_day_first(admin_user):
    rows = [
        ["Email", "Hire Date"],
        ["a@example.com", "03/04/2025"],
        ["b@example.com", "25/04/2025"],
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert job.count_errors == 0
    assert (
        "Dates in “Hire Date” were read day first (DD/MM/YYYY), because some of them, such "
        "as 25/04/2025, only make sense that way." in job.file_notes
    )
    apply_now(job, admin_user)
    assert dates_of("a@example.com", "b@example.com") == [date(2025, 4, 3), date(2025, 4, 25)]


def test_a_value_that_is_no_date_is_a_row_error_naming_row_column_and_value(admin_user):
    rows = [
        ["Email", "Start Date"],
        ["a@example.com", "2025-09-01"],
        ["b@example.com", "next Monday"],
        ["c@example.com", "2025-02-30"],
    ]
    job, _ = preview(csv_bytes(rows), admin_user)
    assert (job.count_new, job.count_errors) == (1, 2)
    assert row_errors(job) == [
        (
            3,
            "Start Date",
            "“next Monday” in the Start Date column is not a date Roster understands. Write "
            "it as YYYY-MM-DD (for example 2025-09-01), DD.MM.YYYY or MM/DD/YYYY.",
        ),
        (
            4,
            "Start Date",
            "“2025-02-30” in the Start Date column is not a date Roster understands. Write "
            "it as YYYY-MM-DD (for example 2025-09-01), DD.MM.YYYY or MM/DD/YYYY.",
        ),
    ]
    with pytest.raises(Exception, match="error"):
        apply_now(job, admin_user)
    assert not Person.objects.filter(email__in=["a@example.com", "b@example.com"]).exists()


def test_start_date_before_hire_date_and_a_changed_date_is_an_update(admin_user):
    PersonFactory(email="a@example.com", start_date=date(2020, 1, 6))
    rows = [
        ["Email", "Hire Date", "Start Date"],
        ["a@example.com", "2010-05-01", "2024-06-03"],
    ]
    job, plan = preview(csv_bytes(rows), admin_user)
    assert [c["note"] for c in job.columns if c["header"] == "Hire Date"] == [
        "Not imported: Start date is read from “Start Date”."
    ]
    assert job.count_updated == 1
    assert [r.changes for r in plan.rows if r.action == "update"] == [
        {"start_date": ["2020-01-06", "2024-06-03"]}
    ]
    apply_now(job, admin_user)
    assert dates_of("a@example.com") == [date(2024, 6, 3)]
    # The same file again changes nothing.
    again, _ = preview(csv_bytes(rows), admin_user)
    assert (again.count_unchanged, again.count_updated) == (1, 0)


def test_new_people_are_invited_at_nine_on_their_start_date_or_days_before(admin_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    rows = [
        ["Email", "Start Date"],
        ["soon@example.com", "2030-03-04"],
        ["undated@example.com", ""],
    ]
    with time_machine.travel(datetime(2030, 1, 2, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        job, _ = preview(csv_bytes(rows), admin_user)
        services.confirm_import(
            job, by=admin_user, invite_mode="start", invite_days_before=2, enqueue=False
        )
        job = services.apply_import(job.pk)
    invitation = Invitation.objects.get(person__email="soon@example.com")
    assert invitation.send_at == datetime(2030, 3, 2, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert not Invitation.objects.filter(person__email="undated@example.com").exists()
    assert person("undated@example.com").status == Person.Status.STAGED
    assert job.invite_note == (
        "Invited 1 person; each email goes out at 09:00 2 days before their start date. "
        "1 without a start date were not invited."
    )


def test_more_than_90_days_before_is_refused_and_changes_nothing(admin_user):
    job, _ = preview(
        csv_bytes([["Email", "Start Date"], ["a@example.com", "2030-03-04"]]), admin_user
    )
    with pytest.raises(Exception, match="between 0 and 90 days"):
        services.confirm_import(job, by=admin_user, invite_mode="start", invite_days_before=91)
    job.refresh_from_db()
    assert job.confirmed_at is None
