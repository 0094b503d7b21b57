"""Exporting the audit log from the admin: who may, what the file holds."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
import time_machine
from django.urls import NoReverseMatch, reverse

from accounts import services
from accounts.actors import SYSTEM
from accounts.models import LifecycleEvent, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:accounts_lifecycleevent_export")
CSV_FORMAT, XLSX_FORMAT = "0", "1"
HEADERS = ["When", "Action", "Subject", "Actor kind", "Actor", "Changes", "Reason"]


@pytest.fixture
def history(db) -> dict[str, Person]:
    """Two deactivations by a person and one change by the system, at known times."""
    admin = PersonFactory(admin=True, full_name="Ada Admin", email="ada@example.com")
    alice = PersonFactory(full_name="Alice Able", email="alice@example.com", claimed=True)
    bob = PersonFactory(
        full_name="Bob Baker", email="bob@example.com", job_title="Cook", claimed=True
    )
    with time_machine.travel(datetime(2026, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        services.update_person(bob, by=SYSTEM, job_title="Chef")
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        services.deactivate_person(alice, by=admin, reason="Left the company")
    with time_machine.travel(datetime(2026, 3, 3, 11, 15, tzinfo=UTC), tick=False):
        services.deactivate_person(bob, by=admin, reason='=HYPERLINK("http://x.test","Open")')
    return {"admin": admin, "alice": alice, "bob": bob}


def export(client, fmt: str, query: str = ""):
    return client.post(f"{EXPORT_URL}{query}", {"format": fmt, "resource": "0"})


def csv_rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"))))


def xlsx_rows(response) -> list[list[str | None]]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def snapshot() -> tuple:
    return (
        list(LifecycleEvent.objects.order_by("pk").values()),
        list(Person.objects.order_by("pk").values_list("pk", "status", "role", "job_title")),
    )


DEACTIVATIONS = [
    HEADERS,
    [
        "2026-03-03T11:15:00+00:00",
        "Deactivated",
        "Bob Baker",
        "Person",
        "Ada Admin <ada@example.com>",
        '{"status":["active","deactivated"]}',
        '\'=HYPERLINK("http://x.test","Open")',
    ],
    [
        "2026-03-02T10:00:00+00:00",
        "Deactivated",
        "Alice Able",
        "Person",
        "Ada Admin <ada@example.com>",
        '{"status":["active","deactivated"]}',
        "Left the company",
    ],
]


def test_auditor_exports_the_filtered_audit_log_as_csv(client, auditor, history):
    client.force_login(auditor)
    before = snapshot()

    response = export(client, CSV_FORMAT, "?action__exact=deactivated")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="LifecycleEvent-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert csv_rows(response) == DEACTIVATIONS
    assert snapshot() == before


def test_auditor_exports_the_filtered_audit_log_as_xlsx(client, auditor, history):
    client.force_login(auditor)
    before = snapshot()

    response = export(client, XLSX_FORMAT, "?action__exact=deactivated")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx_rows(response) == DEACTIVATIONS
    assert snapshot() == before


def test_export_shows_labels_and_compact_changes_for_non_person_actors(client, auditor, history):
    client.force_login(auditor)

    response = export(client, CSV_FORMAT, "?actor_kind__exact=system")

    assert csv_rows(response) == [
        HEADERS,
        [
            "2026-03-01T09:30:00+00:00",
            "Updated",
            "Bob Baker",
            "System",
            "System",
            '{"job_title":["Cook","Chef"]}',
            "",
        ],
    ]


def test_export_page_offers_csv_and_xlsx_only(client, auditor, history):
    client.force_login(auditor)

    response = client.get(EXPORT_URL)

    assert response.status_code == 200
    choices = response.context["form"].fields["format"].choices
    assert [label for value, label in choices if value] == ["csv", "xlsx"]


@pytest.mark.parametrize("role", ["admin_user", "account_manager", "auditor"])
def test_every_role_that_reads_the_audit_log_may_export_it(request, client, role, history):
    client.force_login(request.getfixturevalue(role))

    changelist = client.get(reverse("admin:accounts_lifecycleevent_changelist"))
    response = export(client, CSV_FORMAT)

    assert changelist.context["has_export_permission"] is True
    assert EXPORT_URL in changelist.content.decode()
    assert response.status_code == 200
    assert len(csv_rows(response)) == 1 + LifecycleEvent.objects.count()


def test_person_without_a_role_cannot_export_and_nothing_changes(client, history):
    nobody = PersonFactory(claimed=True, email="nobody@example.com")
    client.force_login(nobody)
    before = snapshot()

    page = client.get(EXPORT_URL)
    response = export(client, CSV_FORMAT)

    assert page.status_code == 302
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "Content-Disposition" not in response
    assert snapshot() == before


def test_audit_log_offers_no_import(client, admin_user):
    client.force_login(admin_user)

    changelist = client.get(reverse("admin:accounts_lifecycleevent_changelist"))

    assert "/import/" not in changelist.content.decode()
    with pytest.raises(NoReverseMatch):
        reverse("admin:accounts_lifecycleevent_import")
