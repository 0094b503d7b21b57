"""A System administrator imports people from a spreadsheet in a real browser."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import apply_import_task, plan_import_task
from tests.conftest import PASSWORD
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ROSTER_SCREENSHOTS", "")


def _sign_in(page, live_server, email: str, path: str = "/admin/") -> None:
    page.goto(live_server.url + path)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + path)


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def worker_after_a_moment(monkeypatch, settings, tmp_path) -> Iterator[None]:
    """Stand in for a Celery worker: run each enqueued apply (the task function
    itself) a moment later in another thread, so the page sees the import wait,
    run and finish. The worker path itself is tested with a real worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    timers: list[threading.Timer] = []

    def later(task):
        def run(import_id: int) -> None:
            try:
                task(import_id)
            finally:
                connection.close()

        def delay(import_id: int) -> None:
            timer = threading.Timer(1.5, run, args=[import_id])
            timers.append(timer)
            timer.start()

        return delay

    monkeypatch.setattr(apply_import_task, "delay", later(apply_import_task))
    monkeypatch.setattr(plan_import_task, "delay", later(plan_import_task))
    yield
    for timer in timers:
        timer.join(30)


def test_administrator_uploads_previews_confirms_and_watches_the_import_finish(
    page, live_server, worker_after_a_moment, tmp_path
):
    PersonFactory(admin=True, email="admin@example.com")
    PersonFactory(email="bob@example.com", first_name="Bob", last_name="Stone", job_title="Boss")
    content = csv_bytes(
        [
            ["Email", "First name", "Last name", "Job title", "Department"],
            ["ada@example.com", "Ada", "Lovelace", "Analyst", "Engineering"],
            ["grace@example.com", "Grace", "Hopper", "Admiral", "Research"],
            ["bob@example.com", "Bob", "Stone", "Director", ""],
        ]
    )

    _sign_in(page, live_server, "admin@example.com", "/admin/accounts/person/")
    page.get_by_role("link", name="Import people").click()
    page.wait_for_url(re.compile(r"/admin/provisioning/importjob/add/$"))
    _shot(page, "1-upload")
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("#import-progress[data-mode='plan']")

    page.wait_for_selector("#import-preview", timeout=20_000)
    _shot(page, "2-preview")
    assert page.locator("#count-new").inner_text() == "2"
    assert page.locator("#count-updated").inner_text() == "1"
    assert page.locator("#count-errors").inner_text() == "0"
    table = page.locator("#rows-table").inner_text()
    assert "ada@example.com" in table and "grace@example.com" in table
    assert "Boss → Director" in table
    assert Person.objects.filter(email__in=["ada@example.com", "grace@example.com"]).count() == 0

    page.get_by_role("button", name="Apply this import").click()
    page.wait_for_selector("#import-progress[data-mode='apply']")
    page.wait_for_selector("#import-progress[data-finished='done']", timeout=20_000)
    _shot(page, "3-done")
    assert page.locator("#import-status").inner_text() == "Done"
    assert page.locator("#import-bar").get_attribute("style") == "width: 100%;"
    assert page.locator("#import-result").is_visible()
    assert page.locator('#import-result [data-count="new"]').inner_text() == "2"
    assert page.locator('#import-result [data-count="updated"]').inner_text() == "1"
    assert ImportJob.objects.get().status == ImportJob.Status.DONE

    page.get_by_role("link", name="Open the People list").click()
    page.wait_for_url(re.compile(r"/admin/accounts/person/$"))
    listed = page.locator("#result_list").inner_text()
    assert "ada@example.com" in listed and "grace@example.com" in listed
    assert Person.objects.get(email="bob@example.com").job_title == "Director"

    page.goto(live_server.url + "/admin/provisioning/importjob/")
    _shot(page, "4-imports")
    assert "people.csv" in page.locator("#result_list").inner_text()


def test_preview_appears_when_the_worker_has_made_it(page, live_server, worker_after_a_moment):
    PersonFactory(account_manager=True, email="hr@example.com")
    content = csv_bytes([["Email", "Department"], ["ada@example.com", "Engineering"]])

    _sign_in(page, live_server, "hr@example.com", "/admin/provisioning/importjob/add/")
    assert page.locator('input[name="complete_list"]').count() == 0
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("#import-progress[data-mode='plan']")
    assert "Preparing the preview" in page.content()

    page.wait_for_selector("#import-preview", timeout=20_000)
    assert page.locator("#count-new").inner_text() == "1"
    assert page.locator("#import-options").is_visible()


def test_file_the_worker_cannot_read_shows_why_on_the_import_page(
    page, live_server, worker_after_a_moment
):
    PersonFactory(account_manager=True, email="hr@example.com")
    content = csv_bytes([["Email", *[f"Extra {n}" for n in range(1, 600)]]])

    _sign_in(page, live_server, "hr@example.com", "/admin/provisioning/importjob/add/")
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_selector("#import-progress[data-mode='plan']")

    page.wait_for_selector("#import-failed", timeout=20_000)
    assert "Roster reads at most 500 columns." in page.locator("#import-failed").inner_text()
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED
