"""The group form's rule editor field: nested rules as JSON, problems located."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.groups import services
from accounts.models import Group, LifecycleEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:accounts_group_add")
NESTED = {
    "match": "all",
    "conditions": [
        {"attribute": "department", "operator": "is", "value": "Engineering"},
        {
            "match": "any",
            "conditions": [
                {"attribute": "location", "operator": "is", "value": "London"},
                {"attribute": "location", "operator": "is", "value": "Paris"},
            ],
        },
    ],
}


def form(rule: object, **overrides: str) -> dict[str, str]:
    data = {"name": "Eng", "description": "", "external_id": "", "kind": "rule", "match": "all"}
    for i in range(5):
        data.update({f"attribute_{i}": "", f"operator_{i}": "", f"value_{i}": ""})
    data["rule_json"] = rule if isinstance(rule, str) else json.dumps(rule)
    data.update(overrides)
    return data


@pytest.fixture
def engineers():
    PersonFactory(email="ada@example.com", department="Engineering", location="London")
    PersonFactory(email="bob@example.com", department="engineering", location="Paris")
    PersonFactory(email="cy@example.com", department="Engineering", location="Berlin")
    PersonFactory(email="dee@example.com", department="Sales", location="London")


def test_a_nested_rule_from_the_editor_is_saved_with_its_members(admin_client, engineers):
    response = admin_client.post(ADD_URL, form(NESTED))
    assert response.status_code == 302
    group = Group.objects.get()
    assert group.rule == NESTED
    assert sorted(group.members.values_list("email", flat=True)) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_the_preview_counts_a_nested_rule(admin_client, engineers):
    response = admin_client.post(reverse("admin:accounts_group_preview_new"), form(NESTED))
    data = response.json()
    assert (data["matching"], data["joining"], data["leaving"]) == (2, 2, 0)
    assert data["rule"] == "department is Engineering and (location is London or location is Paris)"


def test_a_problem_in_a_nested_condition_names_its_place_and_nothing_is_saved(admin_client):
    bad = json.loads(json.dumps(NESTED))
    bad["conditions"][1]["conditions"][1] = {
        "attribute": "location",
        "operator": "before",
        "value": "x",
    }
    response = admin_client.post(ADD_URL, form(bad))
    assert response.status_code == 200
    message = "Location cannot use 'is before': use 'is', 'is not', 'is one of', 'contains'."
    assert response.context["rule_editor"]["error"] == {"path": [1, 1], "message": message}
    assert response.context["adminform"].form.non_field_errors() == [message]
    # The editor starts again from what was posted, not from scratch.
    assert response.context["rule_editor"]["rule"] == bad
    assert not Group.objects.exists()
    preview = admin_client.post(reverse("admin:accounts_group_preview_new"), form(bad)).json()
    assert (preview["error"], preview["path"]) == (message, [1, 1])


def test_too_deep_nesting_and_unreadable_json_are_refused(admin_client):
    deep: dict = {"match": "all", "conditions": [{"attribute": "location", "value": "Paris"}]}
    for _ in range(4):
        deep = {"match": "any", "conditions": [deep]}
    response = admin_client.post(ADD_URL, form(deep))
    assert response.context["rule_editor"]["error"] == {
        "path": [0, 0, 0, 0],
        "message": "Rules may nest at most 4 levels deep.",
    }
    response = admin_client.post(ADD_URL, form("{not json"))
    assert response.context["adminform"].form.non_field_errors() == [
        "The rule editor sent a rule that cannot be read."
    ]
    assert not Group.objects.exists()


def test_a_manager_given_by_email_in_a_nested_group_is_stored_by_id(admin_client):
    boss = PersonFactory(email="boss@example.com")
    report = PersonFactory(email="report@example.com", manager=boss)
    rule = {
        "match": "any",
        "conditions": [
            {"attribute": "department", "value": "Nobody"},
            {"match": "all", "conditions": [{"attribute": "manager", "value": "BOSS@example.com"}]},
        ],
    }
    assert admin_client.post(ADD_URL, form(rule)).status_code == 302
    group = Group.objects.get()
    assert group.rule["conditions"][1]["conditions"][0]["value"] == boss.pk
    assert list(group.members.all()) == [report]
    rule["conditions"][1]["conditions"][0]["value"] = "nobody@example.com"
    response = admin_client.post(ADD_URL, form(rule, name="Other"))
    assert response.context["rule_editor"]["error"] == {
        "path": [1, 0],
        "message": "No person has the email nobody@example.com.",
    }


def test_saving_the_editor_unchanged_keeps_the_group_as_it_is(admin_client, admin_user):
    group = services.create_group(name="Eng", kind="rule", rule=NESTED, by=admin_user)
    page = admin_client.get(reverse("admin:accounts_group_change", args=[group.pk]))
    assert page.context["rule_editor"]["rule"] == NESTED
    assert page.context["rule_editor"]["maxDepth"] == 4
    before = LifecycleEvent.objects.count()
    response = admin_client.post(
        reverse("admin:accounts_group_change", args=[group.pk]), form(NESTED)
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.rule, group.version) == (NESTED, 1)
    assert LifecycleEvent.objects.count() == before


def test_an_auditor_cannot_save_a_rule_from_the_editor(client, auditor, admin_user):
    group = services.create_group(name="Eng", kind="rule", rule=NESTED, by=admin_user)
    client.force_login(auditor)
    changed = {**NESTED, "match": "any"}
    url = reverse("admin:accounts_group_change", args=[group.pk])
    assert client.post(url, form(changed)).status_code == 403
    assert client.post(reverse("admin:accounts_group_preview_new"), form(NESTED)).status_code == 403
    group.refresh_from_db()
    assert group.rule == NESTED
