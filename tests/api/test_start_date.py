"""The start date over the REST API: read, filtered, changed (audited), refused."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import LifecycleEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_api_reads_filters_and_changes_the_start_date_with_an_audit_row(api_admin):
    ada = PersonFactory(email="ada@example.com", start_date=date(2025, 9, 1))
    PersonFactory(email="bob@example.com", start_date=date(2026, 1, 5))

    listed = api_admin.get(
        reverse("api:person-list"),
        {"start_date_from": "2025-08-01", "start_date_to": "2025-12-31"},
    ).json()
    assert [(p["email"], p["start_date"]) for p in listed["results"]] == [
        ("ada@example.com", "2025-09-01")
    ]
    response = api_admin.post(
        reverse("api:person-update", kwargs={"person_id": ada.pk}),
        {"start_date": "2025-10-06"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["start_date"] == "2025-10-06"
    ada.refresh_from_db()
    assert ada.start_date == date(2025, 10, 6)
    event = LifecycleEvent.objects.filter(person=ada).latest("pk")
    assert event.changes == {"start_date": ["2025-09-01", "2025-10-06"]}


def test_api_refuses_a_start_date_that_is_no_date_and_changes_nothing(api_admin):
    ada = PersonFactory(email="ada@example.com", start_date=date(2025, 9, 1))
    response = api_admin.post(
        reverse("api:person-update", kwargs={"person_id": ada.pk}),
        {"start_date": "01/09/2025"},
        format="json",
    )
    assert response.status_code == 400
    assert "start_date" in str(response.json())
    ada.refresh_from_db()
    assert (ada.start_date, ada.version) == (date(2025, 9, 1), 1)
