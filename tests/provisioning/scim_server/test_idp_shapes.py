"""Requests shaped as Entra, Okta and conformance checkers really send them,
each checked against what Roster stores afterwards."""

from __future__ import annotations

import pytest

from accounts.models import Person
from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import CORE, ENTERPRISE, new_user, patch_op

pytestmark = pytest.mark.django_db

MANAGER = f"{ENTERPRISE}:manager"


@pytest.fixture
def jdoe(scim):
    body = new_user(
        "jdoe@corp.onmicrosoft.com",
        emails=[{"value": "john.doe@example.com", "type": "work", "primary": True}],
    )
    response = scim.post("Users", body)
    assert response.status_code == 201
    return Person.objects.get(pk=response.json()["id"])


def test_entra_create_keeps_the_upn_as_username_and_the_mailbox_as_email(scim, jdoe):
    assert (jdoe.user_name, jdoe.email) == ("jdoe@corp.onmicrosoft.com", "john.doe@example.com")
    doc = scim.get(f"Users/{jdoe.pk}").json()
    assert doc["userName"] == "jdoe@corp.onmicrosoft.com"
    assert doc["emails"] == [{"value": "john.doe@example.com", "type": "work", "primary": True}]


@pytest.mark.parametrize(
    ("user_name", "emails", "email"),
    [
        ("jdoe", [{"value": "jdoe@example.com", "type": "work"}], "jdoe@example.com"),
        (
            "8c1f-opaque",
            [{"value": "home@example.com", "type": "home"}, {"value": "w@example.com"}],
            "home@example.com",
        ),
        (
            "x",
            [
                {"value": "w@example.com", "type": "work"},
                {"value": "p@example.com", "primary": True},
            ],
            "p@example.com",
        ),
        ("Ada@Example.com", None, "Ada@example.com"),
    ],
)
def test_the_email_is_the_primary_else_work_else_first_else_username(
    scim, user_name, emails, email
):
    body = new_user(user_name, **({"emails": emails} if emails else {}))

    response = scim.post("Users", body)

    assert response.status_code == 201
    person = Person.objects.get()
    assert person.email == email
    assert person.scim_user_name == user_name
    assert response.json()["userName"] == user_name


def test_a_create_without_any_usable_email_is_refused(scim):
    response = scim.post("Users", new_user("jdoe"))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "Roster needs an email address" in response.json()["detail"]
    assert not Person.objects.exists()


def test_usernames_are_unique_in_any_case(scim, jdoe):
    response = scim.post(
        "Users", new_user("JDOE@corp.onmicrosoft.com", emails=[{"value": "other@example.com"}])
    )

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    "filter_text",
    [
        'emails[type eq "work"].value eq "JOHN.DOE@example.com"',
        'emails[primary eq true].value eq "john.doe@example.com"',
        'emails.value eq "john.doe@example.com"',
        'emails[type eq "work"].value sw "john."',
        'emails[type eq "work"].value co "doe@"',
        'emails[type eq "work"].value pr and userName sw "jdoe"',
        'userName eq "JDoe@corp.onmicrosoft.com"',
    ],
)
def test_entra_and_okta_lookups_find_the_person(scim, jdoe, filter_text):
    PersonFactory(email="someone.else@example.com")

    response = scim.get("Users", filter=filter_text)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["Resources"]] == [str(jdoe.pk)]


def test_a_lookup_by_the_email_does_not_match_the_username(scim, jdoe):
    response = scim.get("Users", filter='userName eq "john.doe@example.com"')

    assert response.json()["totalResults"] == 0


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "jd@example.com"}],
        [{"op": "replace", "path": "emails", "value": [{"value": "jd@example.com"}]}],
        [{"op": "replace", "value": {"emails": [{"value": "jd@example.com", "type": "work"}]}}],
        [{"op": "replace", "value": {'emails[type eq "work"].value': "jd@example.com"}}],
    ],
)
def test_patch_changes_the_email_and_keeps_the_username(scim, jdoe, operations):
    response = scim.patch(f"Users/{jdoe.pk}", patch_op(*operations))

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert (jdoe.email, jdoe.scim_user_name) == ("jd@example.com", "jdoe@corp.onmicrosoft.com")
    assert response.json()["emails"][0]["value"] == "jd@example.com"


def test_patch_changes_the_username(scim, jdoe):
    response = scim.patch(
        f"Users/{jdoe.pk}",
        patch_op({"op": "Replace", "path": "userName", "value": "john@corp.onmicrosoft.com"}),
    )

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert (jdoe.user_name, jdoe.email) == ("john@corp.onmicrosoft.com", "john.doe@example.com")


def test_an_invalid_new_email_is_refused_naming_it(scim, jdoe):
    response = scim.patch(
        f"Users/{jdoe.pk}",
        patch_op({"op": "replace", "path": 'emails[type eq "work"].value', "value": "nope"}),
    )

    assert response.status_code == 400
    assert "email" in response.json()["detail"]
    jdoe.refresh_from_db()
    assert jdoe.email == "john.doe@example.com"


def test_okta_full_put_with_a_new_work_email_changes_it(scim, jdoe):
    body = {
        "schemas": [CORE],
        "id": str(jdoe.pk),
        "userName": "jdoe",
        "name": {"givenName": "John", "familyName": "Doe"},
        "emails": [{"value": "john.new@example.com", "type": "work", "primary": True}],
        "active": True,
    }

    response = scim.put(f"Users/{jdoe.pk}", body)

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert (jdoe.user_name, jdoe.email) == ("jdoe", "john.new@example.com")


@pytest.mark.parametrize(
    "value", [[{"value": "{boss}"}], {"value": "{boss}"}, "{boss}"], ids=["array", "object", "id"]
)
def test_entra_manager_forms_set_the_manager(scim, jdoe, value):
    boss = PersonFactory()
    if isinstance(value, list):
        value = [{"value": str(boss.pk)}]
    elif isinstance(value, dict):
        value = {"value": str(boss.pk)}
    else:
        value = str(boss.pk)

    response = scim.patch(
        f"Users/{jdoe.pk}", patch_op({"op": "Add", "path": MANAGER, "value": value})
    )

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert jdoe.manager == boss


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Remove", "path": MANAGER},
        {"op": "Replace", "path": MANAGER, "value": ""},
        {"op": "Replace", "path": MANAGER, "value": {"value": ""}},
        {"op": "Replace", "path": MANAGER, "value": []},
    ],
)
def test_manager_removal_forms_clear_the_manager(scim, jdoe, operation):
    boss = PersonFactory()
    scim.patch(f"Users/{jdoe.pk}", patch_op({"op": "Add", "path": MANAGER, "value": str(boss.pk)}))

    response = scim.patch(f"Users/{jdoe.pk}", patch_op(operation))

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert jdoe.manager is None


@pytest.mark.parametrize(
    ("given", "e164", "unverified"),
    [
        ("020 7946 0018", "+442079460018", False),
        ("+1 (201) 555-0123", "+12015550123", False),
        ("ext. 4411", "", True),
        ("12", "", True),
    ],
)
def test_phone_numbers_never_fail_a_create(scim, given, e164, unverified):
    response = scim.post(
        "Users", new_user("ada@example.com", phoneNumbers=[{"value": given, "type": "work"}])
    )

    assert response.status_code == 201
    person = Person.objects.get()
    assert (person.phone_number, person.phone_is_unverified) == (e164, unverified)
    assert response.json()["phoneNumbers"] == [{"value": given, "type": "work"}]


def test_an_unparsable_phone_number_never_fails_an_update(scim, jdoe):
    response = scim.patch(
        f"Users/{jdoe.pk}",
        patch_op(
            {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "call me"},
            {"op": "replace", "path": "title", "value": "Engineer"},
        ),
    )

    assert response.status_code == 200
    jdoe.refresh_from_db()
    assert (jdoe.phone_number, jdoe.phone_number_given, jdoe.job_title) == (
        "",
        "call me",
        "Engineer",
    )


def test_patch_active_false_keeps_the_user_visible(scim, jdoe):
    scim.patch(f"Users/{jdoe.pk}", patch_op({"op": "replace", "value": {"active": False}}))

    assert scim.get(f"Users/{jdoe.pk}").json()["active"] is False
