"""The groups API: the same rules, errors and roles as the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.groups import services
from accounts.models import Group, GroupMembership, LifecycleEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ENGINEERING = {
    "match": "all",
    "conditions": [{"attribute": "department", "operator": "is", "value": "Engineering"}],
}


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def test_create_a_static_group_with_members(api_admin):
    ada, bob = PersonFactory(), PersonFactory()
    response = api_admin.post(
        url("group-create"), {"name": "Team", "person_ids": [ada.pk, bob.pk]}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["kind"], body["source"], body["member_count"]) == (
        "Team",
        "static",
        "api",
        2,
    )
    members = api_admin.get(url("group-member-list", body["id"])).json()["results"]
    assert sorted(m["id"] for m in members) == sorted([ada.pk, bob.pk])


def test_create_a_rule_based_group(api_manager):
    PersonFactory(department="Engineering")
    response = api_manager.post(
        url("group-create"), {"name": "Eng", "kind": "rule", "rule": ENGINEERING}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["member_count"] == 1
    assert response.json()["rule_description"] == "department is Engineering"


def test_duplicate_name_is_refused_with_the_field(api_admin, admin_user):
    services.create_group(name="Team", by=admin_user)
    response = api_admin.post(url("group-create"), {"name": "TEAM"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "name": ['A group named "TEAM" already exists (names ignore case).']
    }
    assert Group.objects.count() == 1


def test_rule_on_unknown_attribute_is_refused(api_admin):
    rule = {"conditions": [{"attribute": "salary", "value": "lots"}]}
    response = api_admin.post(
        url("group-create"), {"name": "Rich", "kind": "rule", "rule": rule}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Unknown attribute 'salary'")
    assert Group.objects.count() == 0


def test_unknown_member_id_changes_nothing(api_admin, admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Team", by=admin_user)
    response = api_admin.post(
        url("group-members-add", group.pk), {"person_ids": [ada.pk, 999999]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "unknown_members",
        "message": "No person has the id (or email) 999999. Nothing was changed.",
        "fields": {},
    }
    assert GroupMembership.objects.count() == 0


def test_add_and_remove_members(api_admin, admin_user):
    ada, bob = PersonFactory(), PersonFactory()
    group = services.create_group(name="Team", by=admin_user)
    added = api_admin.post(
        url("group-members-add", group.pk), {"person_ids": [ada.pk, bob.pk]}, format="json"
    )
    assert sorted(added.json()["added"]) == sorted([ada.pk, bob.pk])
    removed = api_admin.post(
        url("group-members-remove", group.pk), {"person_ids": [bob.pk, 424242]}, format="json"
    )
    assert removed.json() == {"added": [], "removed": [bob.pk]}
    assert list(group.members.all()) == [ada]


def test_editing_members_of_a_rule_based_group_is_a_conflict(api_admin, admin_user):
    group = services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    response = api_admin.post(
        url("group-members-add", group.pk), {"person_ids": [admin_user.pk]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "members_are_computed"


def test_editing_members_of_a_group_from_an_identity_provider_is_a_conflict(api_admin, admin_user):
    ada = PersonFactory()
    group = services.create_group(
        name="All staff", source=Group.Source.ENTRA, member_ids=[ada.pk], by=admin_user
    )
    response = api_admin.post(
        url("group-members-remove", group.pk), {"person_ids": [ada.pk]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "members_are_computed"
    assert list(group.members.all()) == [ada]


def test_update_and_delete(api_admin, admin_user):
    group = services.create_group(name="Team", by=admin_user)
    response = api_admin.post(
        url("group-update", group.pk), {"description": "Everyone"}, format="json"
    )
    assert (response.json()["name"], response.json()["description"]) == ("Team", "Everyone")
    assert api_admin.post(url("group-delete", group.pk)).json() == {
        "id": group.pk,
        "deleted": True,
    }
    assert not Group.objects.exists()


def test_auditor_reads_but_cannot_write(api_auditor, admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Team", by=admin_user, member_ids=[ada.pk])
    assert [g["name"] for g in api_auditor.get(url("group-list")).json()["results"]] == ["Team"]
    assert api_auditor.get(url("group-detail", group.pk)).status_code == 200
    before = LifecycleEvent.objects.count()
    for name, body in (
        ("group-create", {"name": "X"}),
        ("group-update", {"name": "X"}),
        ("group-delete", {}),
        ("group-members-add", {"person_ids": [ada.pk]}),
        ("group-members-remove", {"person_ids": [ada.pk]}),
    ):
        args = () if name == "group-create" else (group.pk,)
        assert api_auditor.post(url(name, *args), body, format="json").status_code == 403, name
    assert LifecycleEvent.objects.count() == before
    assert list(group.members.all()) == [ada]


def test_list_filters_and_query_count(api_admin, admin_user, django_assert_max_num_queries):
    for i in range(5):
        services.create_group(name=f"Team {i}", by=admin_user, member_ids=[admin_user.pk])
    services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    with django_assert_max_num_queries(6):
        response = api_admin.get(url("group-list"), {"kind": "rule"})
    assert [g["name"] for g in response.json()["results"]] == ["Eng"]
    assert len(api_admin.get(url("group-list"), {"search": "team"}).json()["results"]) == 5
