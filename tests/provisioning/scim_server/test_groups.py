"""SCIM /Groups: what Entra, Okta and authentik send, and what they get back."""

from __future__ import annotations

import pytest

from accounts.groups import services as group_services
from accounts.models import Group, GroupMembership, LifecycleEvent, Person
from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import ERROR, patch_op

pytestmark = pytest.mark.django_db

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def new_group(name: str, *members: Person, **extra) -> dict:
    body = {"schemas": [GROUP], "displayName": name, **extra}
    if members:
        body["members"] = [{"value": str(p.pk)} for p in members]
    return body


def member_ids(group: Group) -> list[int]:
    return sorted(group.memberships.values_list("person_id", flat=True))


def test_create_and_get_a_group_with_members(scim):
    ada, bob = PersonFactory(), PersonFactory()
    response = scim.post("Groups", new_group("Engineering", ada, bob, externalId="eng-1"))
    assert response.status_code == 201
    doc = response.json()
    group = Group.objects.get()
    assert (group.name, group.external_id, group.source) == ("Engineering", "eng-1", "scim")
    assert member_ids(group) == sorted([ada.pk, bob.pk])
    assert response["Location"] == f"http://testserver/scim/v2/Groups/{group.pk}"
    fetched = scim.get(f"Groups/{group.pk}").json()
    assert fetched == doc
    assert fetched["members"] == [
        {"value": str(p.pk), "$ref": f"http://testserver/scim/v2/Users/{p.pk}", "type": "User"}
        for p in sorted([ada, bob], key=lambda p: p.pk)
    ]
    assert fetched["meta"]["resourceType"] == "Group"
    event = LifecycleEvent.objects.get(action="created", subject_kind="group")
    assert event.actor_label == "SCIM client Okta"


def test_duplicate_display_name_is_a_409_whatever_the_case(scim):
    scim.post("Groups", new_group("Engineering"))
    response = scim.post("Groups", new_group("ENGINEERING"))
    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert Group.objects.count() == 1


def test_unknown_member_is_a_400_and_nothing_is_created(scim):
    ada = PersonFactory()
    body = new_group("Team", ada)
    body["members"].append({"value": "987654"})
    response = scim.post("Groups", body)
    assert response.status_code == 400
    assert response.json()["schemas"] == [ERROR]
    assert "987654" in response.json()["detail"]
    assert Group.objects.count() == 0


def test_filters_by_display_name_external_id_and_member(scim, admin_user):
    ada, bob = PersonFactory(), PersonFactory()
    eng = group_services.create_group(
        name="Engineering", external_id="g-eng", member_ids=[ada.pk], by=admin_user
    )
    sales = group_services.create_group(name="Sales", member_ids=[bob.pk], by=admin_user)

    def found(text: str) -> list[str]:
        return [r["id"] for r in scim.get("Groups", filter=text).json()["Resources"]]

    assert found('displayName eq "engineering"') == [str(eng.pk)]
    assert found('externalId eq "g-eng"') == [str(eng.pk)]
    assert found('externalId eq "G-ENG"') == []
    assert found(f'members[value eq "{bob.pk}"]') == [str(sales.pk)]
    assert found(f'members.value eq "{ada.pk}"') == [str(eng.pk)]
    assert found('displayName eq "nobody"') == []
    bad = scim.get("Groups", filter='colour eq "red"')
    assert (bad.status_code, bad.json()["scimType"]) == (400, "invalidFilter")
    nul = scim.get("Groups", filter='displayName eq "a\u0000b"')
    assert (nul.status_code, nul.json()["scimType"]) == (400, "invalidFilter")


def test_excluded_attributes_members_leaves_them_out(scim, admin_user):
    ada = PersonFactory()
    group = group_services.create_group(name="Team", member_ids=[ada.pk], by=admin_user)
    listed = scim.get("Groups", excludedAttributes="members").json()["Resources"]
    assert "members" not in listed[0]
    one = scim.get(f"Groups/{group.pk}", excludedAttributes="members").json()
    assert set(one) == {"schemas", "id", "displayName", "meta"}
    only = scim.get(f"Groups/{group.pk}", attributes="displayName").json()
    assert set(only) == {"schemas", "id", "displayName"}


def test_entra_adds_and_removes_members_in_batches(scim, admin_user):
    people = [PersonFactory() for _ in range(4)]
    group = group_services.create_group(name="Team", member_ids=[people[0].pk], by=admin_user)
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op(
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": str(p.pk)} for p in people[1:3]],
            },
            {"op": "Remove", "path": "members", "value": [{"value": str(people[0].pk)}]},
        ),
    )
    assert response.status_code == 204
    assert member_ids(group) == sorted(p.pk for p in people[1:3])
    joined = LifecycleEvent.objects.filter(action="joined_group", actor_label="SCIM client Okta")
    assert sorted(joined.values_list("person_id", flat=True)) == sorted(p.pk for p in people[1:3])


def test_removing_someone_not_in_the_group_is_no_error(scim, admin_user):
    ada, bob = PersonFactory(), PersonFactory()
    group = group_services.create_group(name="Team", member_ids=[ada.pk], by=admin_user)
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op({"op": "remove", "path": f'members[value eq "{bob.pk}"]'}),
    )
    assert response.status_code == 204
    assert member_ids(group) == [ada.pk]
    group.refresh_from_db()
    assert group.version == 2  # only the creation's members; nothing changed


def test_okta_replaces_the_whole_member_list(scim, admin_user):
    ada, bob, cy = PersonFactory(), PersonFactory(), PersonFactory()
    group = group_services.create_group(name="Team", member_ids=[ada.pk, bob.pk], by=admin_user)
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op(
            {
                "op": "replace",
                "path": "members",
                "value": [{"value": str(bob.pk)}, {"value": str(cy.pk)}],
            }
        ),
    )
    assert response.status_code == 204
    assert member_ids(group) == sorted([bob.pk, cy.pk])


def test_patch_renames_with_a_pathless_replace(scim, admin_user):
    group = group_services.create_group(name="Team", by=admin_user)
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op({"op": "Replace", "value": {"id": str(group.pk), "displayName": "Team 2"}}),
    )
    assert response.status_code == 204
    group.refresh_from_db()
    assert group.name == "Team 2"


def test_patch_adding_an_unknown_member_changes_nothing(scim, admin_user):
    ada = PersonFactory()
    group = group_services.create_group(name="Team", by=admin_user)
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op(
            {"op": "add", "path": "members", "value": [{"value": str(ada.pk)}, {"value": "0"}]}
        ),
    )
    assert response.status_code == 400
    assert member_ids(group) == []


def test_a_deactivated_person_can_be_a_member(scim):
    gone = PersonFactory(status=Person.Status.DEACTIVATED)
    response = scim.post("Groups", new_group("Alumni", gone))
    assert response.status_code == 201
    assert GroupMembership.objects.filter(person=gone).count() == 1


def test_put_replaces_name_and_members(scim, admin_user):
    ada, bob = PersonFactory(), PersonFactory()
    group = group_services.create_group(name="Team", member_ids=[ada.pk], by=admin_user)
    response = scim.put(f"Groups/{group.pk}", new_group("Renamed", bob))
    assert response.status_code == 200
    assert response.json()["displayName"] == "Renamed"
    assert member_ids(group) == [bob.pk]


def test_if_match_with_a_stale_version_is_refused(scim, admin_user):
    group = group_services.create_group(name="Team", by=admin_user)
    response = scim.put(f"Groups/{group.pk}", new_group("X"), headers={"If-Match": 'W/"99"'})
    assert response.status_code == 412
    group.refresh_from_db()
    assert group.name == "Team"


def test_delete_removes_the_group_but_not_its_people(scim, admin_user):
    ada = PersonFactory()
    group = group_services.create_group(name="Team", member_ids=[ada.pk], by=admin_user)
    assert scim.delete(f"Groups/{group.pk}").status_code == 204
    assert not Group.objects.exists()
    assert Person.objects.filter(pk=ada.pk).exists()
    assert scim.get(f"Groups/{group.pk}").status_code == 404


def test_members_of_a_group_from_an_identity_provider_cannot_be_patched(scim, admin_user):
    ada = PersonFactory()
    group = group_services.create_group(
        name="Designers", source=Group.Source.GOOGLE, member_ids=[ada.pk], by=admin_user
    )
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op({"op": "remove", "path": f'members[value eq "{ada.pk}"]'}),
    )
    assert (response.status_code, response.json()["scimType"]) == (400, "mutability")
    assert "comes from Google Workspace" in response.json()["detail"]
    assert member_ids(group) == [ada.pk]


def test_members_of_a_rule_based_group_cannot_be_patched(scim, admin_user):
    group = group_services.create_group(
        name="Eng",
        kind="rule",
        rule={"conditions": [{"attribute": "department", "value": "Engineering"}]},
        by=admin_user,
    )
    response = scim.patch(
        f"Groups/{group.pk}",
        patch_op({"op": "add", "path": "members", "value": [{"value": str(admin_user.pk)}]}),
    )
    assert (response.status_code, response.json()["scimType"]) == (400, "mutability")


def test_discovery_lists_the_group_schema(scim):
    schemas = [s["id"] for s in scim.get("Schemas").json()["Resources"]]
    assert GROUP in schemas
    group_type = scim.get("ResourceTypes/Group").json()
    assert (group_type["endpoint"], group_type["schema"]) == ("/Groups", GROUP)


def test_root_search_returns_users_then_groups(scim, admin_user):
    group_services.create_group(name="Team", by=admin_user)
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "attributes": ["displayName"],
    }
    doc = scim.post(".search", body).json()
    kinds = [r["schemas"][0].rsplit(":", 1)[1] for r in doc["Resources"]]
    assert kinds == ["User", "Group"]
    assert doc["totalResults"] == 2


@pytest.mark.postgres
def test_a_10000_member_group_is_served_quickly(scim, admin_user, django_assert_max_num_queries):
    import time

    Person.objects.bulk_create(
        [Person(email=f"bulk{i}@example.com", full_name=f"Bulk {i}") for i in range(10_000)],
        batch_size=2000,
    )
    ids = list(Person.objects.filter(email__startswith="bulk").values_list("pk", flat=True))
    started = time.monotonic()
    group = scim.post(
        "Groups",
        {
            "schemas": [GROUP],
            "displayName": "Everyone",
            "members": [{"value": str(pk)} for pk in ids],
        },
    )
    assert group.status_code == 201
    gid = group.json()["id"]
    with django_assert_max_num_queries(12):
        doc = scim.get(f"Groups/{gid}").json()
    assert len(doc["members"]) == 10_000
    assert time.monotonic() - started < 20
