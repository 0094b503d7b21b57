"""The People list: columns, search, filters, sorting, counts and query counts."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import admin_views
from accounts.models import Person
from tests.accounts.admin.helpers import (
    PEOPLE_URL,
    result_names,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_people_list_shows_every_column_with_status_labels(admin_client):
    boss = PersonFactory(full_name="Grace Hopper", email="grace@example.com")
    PersonFactory(
        full_name="Ada Lovelace",
        email="ada@example.com",
        department="Research",
        job_title="Analyst",
        location="London",
        manager=boss,
        status=Person.Status.INVITED,
    )
    response = admin_client.get(PEOPLE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    headers = [str(h["text"]).lower() for h in response.context["result_headers"]][1:]
    assert headers == [
        "name",
        "email",
        "status",
        "department",
        "job title",
        "manager",
        "location",
        "source",
        "invitation",
        "last changed",
    ]
    for text in ("Ada Lovelace", "ada@example.com", "Research", "Analyst", "London", "Manual"):
        assert text in html
    assert "Invited" in html and "bg-orange-100" in html
    assert "Awaiting invitation" in html and "bg-blue-100" in html
    assert "Active" in html  # the signed-in administrator
    assert 'value="delete_selected"' not in html
    assert response.context["cl"].paginator.count_label == "3"


def test_people_search_matches_name_and_email_parts_and_exact_external_id(admin_client):
    PersonFactory(full_name="Ada Smith", email="ada@example.com", external_id="E-100")
    PersonFactory(full_name="Bob Jones", email="bob.smithers@example.com")
    PersonFactory(full_name="Carl Weber", email="carl@example.com", external_id="E-1000")
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "smi"})) == ["Ada Smith", "Bob Jones"]
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "E-100"})) == ["Ada Smith"]
    assert result_names(admin_client.get(PEOPLE_URL, {"q": "E-10"})) == []


def test_people_filters_narrow_the_list(admin_client):
    boss = PersonFactory(full_name="Boss", department="Legal", location="Oslo")
    PersonFactory(
        full_name="Ann",
        department="Legal",
        location="Lisbon",
        manager=boss,
        status=Person.Status.INVITED,
        source=Person.Source.SPREADSHEET,
    )
    PersonFactory(full_name="Ben", department="Audit", location="Lisbon", manager=boss)
    get = admin_client.get
    assert result_names(get(PEOPLE_URL, {"status__exact": "invited"})) == ["Ann"]
    assert result_names(get(PEOPLE_URL, {"department": "Legal"})) == ["Ann", "Boss"]
    assert result_names(get(PEOPLE_URL, {"location": "Lisbon"})) == ["Ann", "Ben"]
    assert result_names(get(PEOPLE_URL, {"manager__id__exact": boss.pk})) == ["Ann", "Ben"]
    assert result_names(get(PEOPLE_URL, {"source__exact": "spreadsheet"})) == ["Ann"]
    both = get(PEOPLE_URL, {"department": "Legal", "status__exact": "staged"})
    assert result_names(both) == ["Boss"]


def test_people_list_sorts_by_a_column(admin_client):
    PersonFactory(full_name="Zed", location="Lisbon", department="Alpha")
    PersonFactory(full_name="Amy", location="Lisbon", department="Beta")
    # Column 4 is the department (column 1 the name).
    response = admin_client.get(PEOPLE_URL, {"o": "-4", "location": "Lisbon"})
    assert result_names(response) == ["Amy", "Zed"]
    response = admin_client.get(PEOPLE_URL, {"o": "4", "location": "Lisbon"})
    assert result_names(response) == ["Zed", "Amy"]


def test_manager_filter_is_an_autocomplete_not_a_list_of_people(admin_client):
    PersonFactory(full_name="Somebody Listed")
    html = admin_client.get(PEOPLE_URL).content.decode()
    assert "unfold-filter-autocomplete" in html
    assert ">Somebody Listed</option>" not in html


def test_department_choices_come_from_the_cache_after_the_first_request(admin_client):
    PersonFactory(department="Research")
    admin_client.get(PEOPLE_URL)
    PersonFactory(department="Legal")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(PEOPLE_URL)
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)
    assert "Research" in response.content.decode()
    assert ">Legal</option>" not in response.content.decode()
    cache.clear()
    assert "Legal" in admin_client.get(PEOPLE_URL).content.decode()


def test_people_list_runs_the_same_queries_at_25_and_100_rows_per_page(admin_client, monkeypatch):
    boss = PersonFactory()
    PersonFactory.create_batch(120, manager=boss)
    person_admin = admin.site._registry[Person]
    counts = {}
    for per_page in (25, 100):
        monkeypatch.setattr(person_admin, "list_per_page", per_page)
        admin_client.get(PEOPLE_URL)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(PEOPLE_URL)
        assert len(response.context["cl"].result_list) == per_page
        counts[per_page] = [q["sql"] for q in queries.captured_queries]
    assert len(counts[25]) == len(counts[100])
    # Session, person, count (after the row estimate on PostgreSQL), the page,
    # and the page's invitations.
    expected = 6 if connection.vendor == "postgresql" else 5
    assert len(counts[25]) == expected


def test_filtered_count_stops_at_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(admin_views, "COUNT_CAP", 5)
    PersonFactory.create_batch(8, department="Sales")
    response = admin_client.get(PEOPLE_URL, {"department": "Sales"})
    assert response.context["cl"].paginator.count_label == "5+"
    html = response.content.decode()
    assert 'data-result-count="5+"' in html
    assert "5+ results" in html


def test_unfiltered_count_on_sqlite_or_small_tables_is_exact(admin_client):
    PersonFactory.create_batch(3)
    paginator = admin_client.get(PEOPLE_URL).context["cl"].paginator
    assert (paginator.count, paginator.is_estimate) == (4, False)


@pytest.mark.postgres
def test_unfiltered_count_on_a_large_postgresql_table_is_the_planner_estimate(
    admin_client, monkeypatch
):
    monkeypatch.setattr(admin_views, "COUNT_CAP", 5)
    PersonFactory.create_batch(20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")
    paginator = admin_client.get(PEOPLE_URL).context["cl"].paginator
    assert paginator.is_estimate is True
    assert paginator.count_label == "about 21"
