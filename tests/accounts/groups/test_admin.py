"""The Groups admin: list, group page, members, rule preview, person page, roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.groups import services
from accounts.models import Group, GroupMembership
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:accounts_group_changelist")
ADD_URL = reverse("admin:accounts_group_add")


def change_url(group: Group) -> str:
    return reverse("admin:accounts_group_change", args=[group.pk])


def group_form(**overrides: str) -> dict[str, str]:
    data = {"name": "", "description": "", "external_id": "", "kind": "static", "match": "all"}
    for i in range(5):
        data.update({f"attribute_{i}": "", f"operator_{i}": "", f"value_{i}": ""})
    data.update(overrides)
    return data


def test_list_shows_member_counts_and_search(admin_client, admin_user):
    ada = PersonFactory()
    services.create_group(name="Engineering", by=admin_user, member_ids=[ada.pk])
    services.create_group(name="Sales", by=admin_user)
    response = admin_client.get(LIST_URL)
    rows = [(g.name, g.member_count) for g in response.context["cl"].result_list]
    assert rows == [("Engineering", 1), ("Sales", 0)]
    response = admin_client.get(LIST_URL, {"q": "sal"})
    assert [g.name for g in response.context["cl"].result_list] == ["Sales"]


def test_creating_a_rule_based_group_from_the_rows(admin_client):
    PersonFactory(email="eng@example.com", department="Engineering")
    PersonFactory(email="fin@example.com", department="Finance")
    response = admin_client.post(
        ADD_URL,
        group_form(
            name="Engineering",
            kind="rule",
            attribute_0="department",
            operator_0="is",
            value_0="Engineering",
        ),
    )
    assert response.status_code == 302
    group = Group.objects.get()
    assert group.rule == {
        "match": "all",
        "conditions": [{"attribute": "department", "operator": "is", "value": "Engineering"}],
    }
    assert list(group.members.values_list("email", flat=True)) == ["eng@example.com"]


def test_duplicate_name_shows_the_error_on_the_name(admin_client, admin_user):
    services.create_group(name="Engineering", by=admin_user)
    response = admin_client.post(ADD_URL, group_form(name="ENGINEERING"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        'A group named "ENGINEERING" already exists (names ignore case).'
    ]
    assert Group.objects.count() == 1


def test_unknown_attribute_in_rule_rows_is_refused(admin_client):
    response = admin_client.post(
        ADD_URL,
        group_form(
            name="X", kind="rule", attribute_0="department", operator_0="before", value_0="x"
        ),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "attribute_0": [
            "Department cannot use 'is before': use 'is', 'is not', 'is one of', 'contains'."
        ]
    }
    assert Group.objects.count() == 0


def test_preview_counts_who_would_join_and_leave(admin_client, admin_user):
    PersonFactory(email="eng@example.com", department="Engineering", full_name="Eve Eng")
    sales = PersonFactory(email="sales@example.com", department="Sales")
    group = services.create_group(
        name="Sales",
        kind="rule",
        by=admin_user,
        rule={"conditions": [{"attribute": "department", "value": "Sales"}]},
    )
    url = reverse("admin:accounts_group_preview", args=[group.pk])
    response = admin_client.post(
        url,
        group_form(kind="rule", attribute_0="department", operator_0="is", value_0="Engineering"),
    )
    data = response.json()
    assert (data["matching"], data["joining"], data["leaving"]) == (1, 1, 1)
    assert data["joining_sample"][0]["email"] == "eng@example.com"
    assert data["leaving_sample"][0]["email"] == sales.email
    assert data["rule"] == "department is Engineering"
    # The preview changed nothing.
    assert list(group.members.all()) == [sales]


def test_preview_explains_a_bad_rule(admin_client):
    url = reverse("admin:accounts_group_preview_new")
    response = admin_client.post(
        url, group_form(kind="rule", attribute_0="status", operator_0="is", value_0="retired")
    )
    assert response.status_code == 200
    assert response.json()["error"].startswith("Unknown status 'retired'")
    assert response.json()["path"] == [0]


def test_group_page_lists_members_with_search_and_pages(admin_client, admin_user):
    people = [PersonFactory(full_name=f"Member {i:03}") for i in range(60)]
    group = services.create_group(name="Big", by=admin_user, member_ids=[p.pk for p in people])
    response = admin_client.get(change_url(group))
    page = response.context["members_page"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (60, 50, 2)
    response = admin_client.get(change_url(group), {"q": "Member 059"})
    assert [p.full_name for p in response.context["members_page"].object_list] == ["Member 059"]


def test_adding_members_asks_for_confirmation_first(admin_client, admin_user):
    ada = PersonFactory(email="Ada@Example.com")
    group = services.create_group(name="Team", by=admin_user)
    url = reverse("admin:accounts_group_add_members", args=[group.pk])
    response = admin_client.post(url, {"people": "ada@example.com"})
    assert response.status_code == 200
    assert list(response.context["people"]) == [ada]
    assert GroupMembership.objects.count() == 0
    response = admin_client.post(url, {"people": str(ada.pk), "confirm": "yes"})
    assert response.status_code == 302
    assert list(group.members.all()) == [ada]


def test_adding_an_unknown_email_changes_nothing(admin_client, admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Team", by=admin_user)
    url = reverse("admin:accounts_group_add_members", args=[group.pk])
    response = admin_client.post(url, {"people": f"{ada.email}, nobody@example.com"})
    assert response.context["error"] == "Nobody in Roster matches: nobody@example.com."
    response = admin_client.post(
        url, {"people": f"{ada.email}\nnobody@example.com", "confirm": "yes"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "No person has the id (or email) nobody@example.com. Nothing was changed."
    ]
    assert GroupMembership.objects.count() == 0


def test_removing_members_asks_for_confirmation_first(admin_client, admin_user):
    ada, bob = PersonFactory(), PersonFactory()
    group = services.create_group(name="Team", by=admin_user, member_ids=[ada.pk, bob.pk])
    url = reverse("admin:accounts_group_remove_members", args=[group.pk])
    response = admin_client.post(url, {"member": [ada.pk]})
    assert list(response.context["people"]) == [ada]
    assert group.members.count() == 2
    admin_client.post(url, {"member": [ada.pk], "confirm": "yes"})
    assert list(group.members.all()) == [bob]


def test_person_page_lists_their_groups(admin_client, admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Engineering", by=admin_user, member_ids=[ada.pk])
    response = admin_client.get(reverse("admin:accounts_person_change", args=[ada.pk]))
    assert b'id="person-groups"' in response.content
    assert change_url(group).encode() in response.content


def test_auditor_reads_groups_but_cannot_change_them(client, auditor, admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Team", by=admin_user, member_ids=[ada.pk])
    client.force_login(auditor)
    assert client.get(LIST_URL).status_code == 200
    page = client.get(change_url(group))
    assert page.status_code == 200
    assert b'id="add-members"' not in page.content
    assert client.get(ADD_URL).status_code == 403
    url = reverse("admin:accounts_group_remove_members", args=[group.pk])
    assert client.post(url, {"member": [ada.pk], "confirm": "yes"}).status_code == 403
    assert list(group.members.all()) == [ada]
    assert client.post(change_url(group), group_form(name="Renamed")).status_code == 403
    group.refresh_from_db()
    assert group.name == "Team"


def test_account_manager_manages_groups(client, account_manager):
    client.force_login(account_manager)
    response = client.post(ADD_URL, group_form(name="Team"))
    assert response.status_code == 302
    assert Group.objects.get().name == "Team"


def test_people_without_a_role_see_no_groups(client):
    nobody = PersonFactory(claimed=True)
    client.force_login(nobody)
    assert client.get(LIST_URL).status_code in (302, 403)


def test_a_provider_groups_members_are_not_edited_by_hand(admin_client, admin_user):
    ada, bob = PersonFactory(email="ada@example.com"), PersonFactory(email="bob@example.com")
    group = services.create_group(
        name="All staff", source=Group.Source.ENTRA, member_ids=[ada.pk], by=admin_user
    )

    page = admin_client.get(change_url(group))
    assert b'id="add-members"' not in page.content
    assert b"Members come from Microsoft Entra ID" in page.content
    added = admin_client.post(
        reverse("admin:accounts_group_add_members", args=[group.pk]),
        {"people": str(bob.pk), "confirm": "yes"},
        follow=True,
    )
    assert [str(m) for m in added.context["messages"]] == [
        '"All staff" comes from Microsoft Entra ID: its members follow the identity '
        "provider, and each sync replaces them. Change them there."
    ]
    admin_client.post(
        reverse("admin:accounts_group_remove_members", args=[group.pk]),
        {"member": [ada.pk], "confirm": "yes"},
    )
    assert list(group.members.all()) == [ada]
