"""The rule editor builds nested rules, from the keyboard, with a live preview."""

from __future__ import annotations

import re

import pytest

from accounts.groups import services
from accounts.models import Group
from tests.browser.test_people_flow import _sign_in
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_a_nested_rule_is_built_from_the_keyboard_previewed_and_saved(page, live_server):
    PersonFactory(admin=True, email="admin@example.com", department="IT")
    PersonFactory(email="ada@example.com", department="Engineering", location="London")
    PersonFactory(email="bob@example.com", department="Engineering", location="Paris")
    PersonFactory(email="cy@example.com", department="Engineering", location="Berlin")
    PersonFactory(email="dee@example.com", department="Sales", location="London")

    _sign_in(page, live_server, "admin@example.com")
    page.goto(live_server.url + "/admin/accounts/group/add/")
    page.fill("#id_name", "Engineering in London or Paris")
    page.select_option("#id_kind", "rule")
    # The flat rows give way to the editor.
    assert not page.locator("#id_attribute_0").is_visible()

    # department is Engineering, added with the keyboard only.
    page.focus("#rule-root-add-condition")
    page.keyboard.press("Enter")
    assert focused_id(page) == "rule-0-attribute"
    page.select_option("#rule-0-attribute", "department")
    page.focus("#rule-0-value")
    page.keyboard.type("Engineering")
    summary = page.locator("#rule-live-summary")
    summary.filter(has_text="3 people match").wait_for()

    # AND (location is London OR location is Paris).
    page.focus("#rule-root-add-group")
    page.keyboard.press("Enter")
    assert focused_id(page) == "rule-1-0-attribute"
    assert page.locator("#rule-1-match").input_value() == "any"
    page.select_option("#rule-1-0-attribute", "location")
    page.fill("#rule-1-0-value", "London")
    page.focus("#rule-1-add-condition")
    page.keyboard.press("Enter")
    assert focused_id(page) == "rule-1-1-attribute"
    page.select_option("#rule-1-1-attribute", "location")
    page.fill("#rule-1-1-value", "Paris")

    summary.filter(has_text="2 people match").wait_for()
    assert "2 would join, 0 would leave" in summary.inner_text()
    assert (
        "department is Engineering and (location is London or location is Paris)"
        in summary.inner_text()
    )
    # Every control has a label.
    for control in ("#rule-0-attribute", "#rule-0-operator", "#rule-0-value", "#rule-1-match"):
        label = page.locator(f"label[for='{control[1:]}']")
        assert label.count() == 1 and label.inner_text().strip()

    page.locator('[name="_save"]').click()
    page.wait_for_url(re.compile(r"/admin/accounts/group/$"))
    group = Group.objects.get()
    assert group.rule == {
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
    assert sorted(group.members.values_list("email", flat=True)) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_editor_shows_a_problem_next_to_its_condition_and_removes_conditions(page, live_server):
    admin = PersonFactory(admin=True, email="admin@example.com", department="IT", location="Remote")
    PersonFactory(email="ada@example.com", department="Engineering", location="London")
    group = services.create_group(
        name="Mixed",
        kind="rule",
        by=admin,
        rule={
            "match": "any",
            "conditions": [
                {"attribute": "department", "operator": "is", "value": "Sales"},
                {
                    "match": "all",
                    "conditions": [
                        {"attribute": "location", "operator": "is", "value": "London"},
                        {"attribute": "status", "operator": "is", "value": "staged"},
                    ],
                },
            ],
        },
    )
    _sign_in(page, live_server, "admin@example.com")
    page.goto(live_server.url + f"/admin/accounts/group/{group.pk}/change/")
    # The saved nested rule is shown as it is.
    assert page.locator("#rule-1-0-value").input_value() == "London"
    assert page.locator("#rule-root-match").input_value() == "any"

    page.fill("#rule-1-1-value", "retired")
    problem = page.locator("[data-rule-condition='1.1'] [data-rule-error]")
    problem.wait_for()
    assert problem.inner_text().startswith("Unknown status 'retired'")
    assert page.locator("#rule-1-1-value").get_attribute("aria-invalid") == "true"
    assert page.locator("[data-rule-condition='1.0'] [data-rule-error]").count() == 0

    # Saving anyway is refused, and the page shows the problem on that condition again.
    page.locator('[name="_continue"]').click()
    page.locator("[data-rule-condition='1.1'] [data-rule-error]").wait_for()
    group.refresh_from_db()
    assert group.rule["conditions"][1]["conditions"][1]["value"] == "staged"

    # Removing the bad condition clears the problem; focus returns to the group.
    page.get_by_role("button", name="Remove condition 2").click()
    assert focused_id(page) == "rule-1-add-condition"
    page.locator("#rule-live-summary").filter(has_text="1 person matches").wait_for()
    assert page.locator("[data-rule-error]").count() == 0

    # A start date condition takes a date and only "before" or "after".
    page.locator("#rule-root-add-group").click()
    page.select_option("#rule-2-0-attribute", "start_date")
    assert page.locator("#rule-2-0-value").get_attribute("type") == "date"
    operators = page.locator("#rule-2-0-operator option").all_inner_texts()
    assert operators == ["is before", "is after"]
    # Removing the new group puts focus back on the group around it.
    page.get_by_role("button", name="Remove group of conditions 2").click()
    assert focused_id(page) == "rule-root-add-condition"
    assert page.locator("#rule-2-0-attribute").count() == 0
    page.locator('[name="_continue"]').click()
    page.wait_for_url(re.compile(rf"/admin/accounts/group/{group.pk}/change/$"))
    group.refresh_from_db()
    assert group.rule["conditions"][1] == {
        "match": "all",
        "conditions": [{"attribute": "location", "operator": "is", "value": "London"}],
    }
    assert list(group.members.values_list("email", flat=True)) == ["ada@example.com"]
