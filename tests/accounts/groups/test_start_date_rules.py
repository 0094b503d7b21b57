"""Rules on the start date: who they select, bad dates, recomputes, the editor."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts import services as people
from accounts.groups import rules, services
from accounts.groups.exceptions import InvalidRule
from accounts.groups.tasks import recompute_groups_task
from accounts.models import Group, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def after(day: str) -> dict:
    return {"conditions": [{"attribute": "start_date", "operator": "after", "value": day}]}


def before(day: str) -> dict:
    return {"conditions": [{"attribute": "start_date", "operator": "before", "value": day}]}


def selected(rule: dict) -> list[str]:
    clean = rules.validate_rule(rule)
    return sorted(Person.objects.filter(rules.rule_q(clean)).values_list("email", flat=True))


@pytest.fixture
def starters():
    PersonFactory(email="old@example.com", start_date=date(2025, 12, 31))
    PersonFactory(email="day@example.com", start_date=date(2026, 1, 1))
    PersonFactory(email="new@example.com", start_date=date(2026, 1, 2))
    PersonFactory(email="none@example.com", start_date=None)


def test_before_and_after_leave_out_the_day_itself_and_people_without_a_date(starters):
    assert selected(before("2026-01-01")) == ["old@example.com"]
    assert selected(after("2026-01-01")) == ["new@example.com"]
    between = {
        "match": "all",
        "conditions": [*after("2025-12-30")["conditions"], *before("2026-01-02")["conditions"]],
    }
    assert selected(between) == ["day@example.com", "old@example.com"]
    either = {"match": "any", "conditions": between["conditions"][::-1]}
    assert selected(either) == [
        "day@example.com",
        "new@example.com",
        "old@example.com",
    ]


def test_in_memory_matching_agrees_with_the_query_for_start_dates(starters):
    fields = [*rules.MATCH_FIELDS, "start_date"]
    for rule in (before("2026-01-01"), after("2025-12-31"), after("2030-01-01")):
        clean = rules.validate_rule(rule)
        by_memory = sorted(
            p["pk"] for p in Person.objects.values(*fields) if rules.matches(clean, p)
        )
        by_query = sorted(Person.objects.filter(rules.rule_q(clean)).values_list("pk", flat=True))
        assert by_memory == by_query


def test_a_valid_date_is_stored_in_iso_form_and_described_in_words():
    clean = rules.validate_rule(after("20260131"))
    assert clean["conditions"][0]["value"] == "2026-01-31"
    assert rules.describe_rule(clean) == "start date is after 2026-01-31"


@pytest.mark.parametrize("value", ["2026-02-30", "31/01/2026", "tomorrow", "", None])
def test_a_bad_date_is_refused_with_an_example_and_nothing_is_created(admin_user, value):
    with pytest.raises(InvalidRule) as exc:
        services.create_group(name="Starters", kind="rule", rule=after(value), by=admin_user)
    assert exc.value.message == f"Start date needs a date such as 2026-01-31, not {value!r}."
    assert not Group.objects.exists()


def test_start_date_only_takes_before_and_after():
    with pytest.raises(InvalidRule) as exc:
        rules.validate_rule(
            {"conditions": [{"attribute": "start_date", "operator": "is", "value": "2026-01-01"}]}
        )
    assert exc.value.message == "Start date cannot use 'is': use 'is before', 'is after'."


def test_changing_a_start_date_moves_the_person_in_and_out(admin_user):
    ada = PersonFactory(email="ada@example.com", start_date=date(2025, 6, 1))
    group = services.create_group(
        name="2026 starters", kind="rule", rule=after("2025-12-31"), by=admin_user
    )
    assert list(group.members.all()) == []
    people.update_person(ada, start_date="2026-03-02", by=admin_user)
    assert recompute_groups_task([ada.pk]) == 1
    assert list(group.members.values_list("email", flat=True)) == ["ada@example.com"]
    people.update_person(ada, start_date=None, by=admin_user)
    recompute_groups_task([ada.pk])
    assert list(group.members.all()) == []
    assert recompute_groups_task(None) == 0


def test_the_editor_saves_a_start_date_rule_and_shows_a_bad_date_on_its_row(admin_client, starters):
    data = {"name": "New", "description": "", "external_id": "", "kind": "rule", "match": "all"}
    for i in range(5):
        data.update({f"attribute_{i}": "", f"operator_{i}": "", f"value_{i}": ""})
    bad = {**data, "attribute_0": "start_date", "operator_0": "after", "value_0": "next week"}
    response = admin_client.post(reverse("admin:accounts_group_add"), bad)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "attribute_0": ["Start date needs a date such as 2026-01-31, not 'next week'."]
    }
    assert not Group.objects.exists()
    good = {**bad, "value_0": "2026-01-01"}
    assert admin_client.post(reverse("admin:accounts_group_add"), good).status_code == 302
    group = Group.objects.get()
    assert group.rule == after("2026-01-01") | {"match": "all"}
    assert list(group.members.values_list("email", flat=True)) == ["new@example.com"]
