"""An HR person uploads a 30-column HRIS export in a real browser: the extra
columns are listed as not imported and the people are applied."""

from __future__ import annotations

import re

import pytest

from accounts.models import Person
from tests.browser.test_import_flow import _sign_in, worker_after_a_moment  # noqa: F401
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KNOWN = [
    "Employee #",
    "First Name",
    "Last Name",
    "Work Email",
    "Employee Title",
    "Supervisor Email",
    "Division",
    "Work Phone",
    "Work Location",
    "Hire Date",
    "Status",
]
EXTRA = [
    "Cost Center",
    "Pay Grade",
    "Pay Type",
    "Shirt Size",
    "Emergency Contact",
    "Emergency Phone",
    "Badge Number",
    "Union Code",
    "Shift",
    "FLSA Code",
    "Benefit Plan",
    "Tax Region",
    "Ethnicity",
    "Veteran",
    "Parking Spot",
    "Laptop Asset",
    "Desk",
    "Review Cycle",
    "Probation End",
]
HEADERS = KNOWN + EXTRA


def _row(n: int, email: str, first: str, last: str, title: str, manager: str) -> list[str]:
    known = [
        f"E{n:04d}",
        first,
        last,
        email,
        title,
        manager,
        "Engineering",
        f"+44 20 7946 00{n:02d}",
        "London",
        "2026-01-05",
        "Active",
    ]
    return known + [f"x{n}-{i}" for i in range(len(EXTRA))]


def test_hr_person_imports_a_30_column_export_with_extra_columns(
    page,
    live_server,
    worker_after_a_moment,  # noqa: F811
):
    assert len(HEADERS) == 30
    PersonFactory(admin=True, email="admin@example.com")
    content = csv_bytes(
        [
            HEADERS,
            _row(1, "ada@example.com", "Ada", "Lovelace", "Analyst", ""),
            _row(2, "grace@example.com", "Grace", "Hopper", "Admiral", "ada@example.com"),
            _row(3, "alan@example.com", "Alan", "Turing", "Scientist", "ada@example.com"),
        ]
    )
    _sign_in(page, live_server, "admin@example.com", "/admin/provisioning/importjob/add/")
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "hris-report.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("#import-preview", timeout=20_000)

    assert page.locator("#count-new").inner_text() == "3"
    assert page.locator("#count-errors").inner_text() == "0"
    listed = page.locator("#not-imported").inner_text()
    for header in [*EXTRA, "Division"]:
        assert header in listed
    assert Person.objects.filter(email="ada@example.com").count() == 0

    page.get_by_role("button", name="Apply this import").click()
    page.wait_for_selector("#import-progress[data-finished='done']", timeout=20_000)
    assert page.locator('#import-result [data-count="new"]').inner_text() == "3"

    page.get_by_role("link", name="Open the People list").click()
    page.wait_for_url(re.compile(r"/admin/accounts/person/$"))
    assert "grace@example.com" in page.locator("#result_list").inner_text()
    grace = Person.objects.get(email="grace@example.com")
    assert (grace.first_name, grace.job_title, grace.external_id) == ("Grace", "Admiral", "E0002")
    assert grace.manager == Person.objects.get(email="ada@example.com")
    assert str(grace.start_date) == "2026-01-05"
