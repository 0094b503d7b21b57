"""A person's start date: the person page and the People list filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
PEOPLE_URL = reverse("admin:accounts_person_changelist")


def test_people_list_filters_by_start_date_relative_to_today(admin_client):
    today = timezone.localdate()
    PersonFactory(email="soon@example.com", full_name="Soon", start_date=today + timedelta(3))
    PersonFactory(email="later@example.com", full_name="Later", start_date=today + timedelta(60))
    PersonFactory(email="none@example.com", full_name="Nobody", start_date=None)

    soon = admin_client.get(PEOPLE_URL, {"start": "next7"}).content.decode()
    assert "soon@example.com" in soon
    assert "later@example.com" not in soon
    assert "none@example.com" not in soon
    assert "Starts in the next 7 days" in soon
    undated = admin_client.get(PEOPLE_URL, {"start": "none"}).content.decode()
    assert "none@example.com" in undated
    assert "soon@example.com" not in undated


def test_person_page_shows_the_start_date(admin_client, admin_user):
    person = PersonFactory(email="ada@example.com", start_date=date(2025, 9, 1))
    url = reverse("admin:accounts_person_change", args=[person.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="start_date"' in page
    assert 'value="01/09/2025"' in page  # the admin's locale, en-GB
