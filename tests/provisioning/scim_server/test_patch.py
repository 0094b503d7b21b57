"""PATCH: the RFC 7644 operations and the dialects identity providers send."""

from __future__ import annotations

import pytest

from accounts.models import LifecycleEvent, Person
from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import ENTERPRISE, patch_op


@pytest.fixture
def ada(db):
    return PersonFactory(
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        full_name="Ada Lovelace",
        job_title="Analyst",
        department="Maths",
        location="London",
        phone_number="+442079460018",
    )


def _patch(scim, person, *ops):
    return scim.patch(f"Users/{person.pk}", patch_op(*ops))


def test_replace_with_a_path_changes_one_attribute(scim, ada):
    response = _patch(scim, ada, {"op": "replace", "path": "title", "value": "Countess"})

    assert response.status_code == 200
    assert response.json()["title"] == "Countess"
    ada.refresh_from_db()
    assert (ada.job_title, ada.version) == ("Countess", 2)


def test_replace_given_name_keeps_the_automatic_full_name_in_step(scim, ada):
    _patch(scim, ada, {"op": "replace", "path": "name.givenName", "value": "Augusta"})

    ada.refresh_from_db()
    assert (ada.first_name, ada.full_name) == ("Augusta", "Augusta Lovelace")


def test_remove_clears_attributes(scim, ada):
    response = _patch(
        scim,
        ada,
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": "phoneNumbers"},
        {"op": "remove", "path": 'addresses[type eq "work"].locality'},
        {"op": "remove", "path": f"{ENTERPRISE}:department"},
    )

    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.job_title, ada.phone_number, ada.location, ada.department) == ("", "", "", "")
    assert "phoneNumbers" not in response.json()


def test_value_path_filters_select_the_work_element(scim, ada):
    response = _patch(
        scim,
        ada,
        {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "020 7946 0019"},
        {"op": "replace", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+447700900123"},
        {"op": "add", "path": 'addresses[type eq "work"].locality', "value": "Paris"},
    )

    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.phone_number, ada.location) == ("+442079460019", "Paris")


def test_replace_on_a_filter_that_matches_nothing_and_creates_nothing_is_no_target(scim, ada):
    response = _patch(
        scim, ada, {"op": "replace", "path": 'phoneNumbers[value eq "x"].value', "value": "1"}
    )

    assert response.status_code == 400
    assert response.json()["scimType"] == "noTarget"


def test_add_without_path_merges_the_value(scim, ada):
    response = _patch(
        scim,
        ada,
        {"op": "add", "value": {"title": "Countess", ENTERPRISE: {"department": "Science"}}},
    )

    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.job_title, ada.department) == ("Countess", "Science")


def test_manager_is_set_by_id_and_removed(scim, ada):
    boss = PersonFactory()

    _patch(scim, ada, {"op": "add", "path": f"{ENTERPRISE}:manager", "value": str(boss.pk)})
    ada.refresh_from_db()
    assert ada.manager == boss

    _patch(scim, ada, {"op": "remove", "path": f"{ENTERPRISE}:manager"})
    ada.refresh_from_db()
    assert ada.manager is None


def test_a_person_cannot_manage_themselves(scim, ada):
    response = _patch(
        scim, ada, {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": str(ada.pk)}}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "manager: A person cannot be their own manager."


def test_active_false_deactivates_and_true_reactivates(scim, ada):
    off = _patch(scim, ada, {"op": "replace", "path": "active", "value": False})

    assert off.json()["active"] is False
    ada.refresh_from_db()
    assert ada.status == "deactivated"
    event = LifecycleEvent.objects.get(action="deactivated")
    assert (event.actor_label, event.reason) == (
        "SCIM client Okta",
        "Deactivated by SCIM client Okta",
    )

    on = _patch(scim, ada, {"op": "replace", "path": "active", "value": True})

    assert on.json()["active"] is True
    ada.refresh_from_db()
    assert ada.status == "staged"


def test_a_patch_that_changes_nothing_writes_nothing(scim, ada):
    response = _patch(scim, ada, {"op": "replace", "path": "title", "value": "Analyst"})

    assert response.status_code == 200
    ada.refresh_from_db()
    assert ada.version == 1
    assert not LifecycleEvent.objects.filter(subject_kind="person").exists()


def test_a_username_change_keeps_the_email(scim, ada):
    response = _patch(scim, ada, {"op": "replace", "path": "userName", "value": "al@example.com"})

    assert response.json()["userName"] == "al@example.com"
    ada.refresh_from_db()
    assert (ada.user_name, ada.email) == ("al@example.com", "ada@example.com")


def test_external_id_and_employee_number_are_one_identifier(scim, ada):
    response = _patch(
        scim, ada, {"op": "add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-9"}
    )

    assert response.json()["externalId"] == "E-9"
    both = _patch(
        scim,
        ada,
        {"op": "replace", "path": "externalId", "value": "E-10"},
        {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-11"},
    )
    assert both.json()["externalId"] == "E-10"


@pytest.mark.parametrize(
    ("op", "scim_type"),
    [
        ({"op": "move", "path": "title", "value": "x"}, "invalidValue"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "nickName2", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "7"}, "mutability"),
        ({"op": "replace", "path": "userName", "value": 7.5}, "invalidValue"),
        ({"op": "remove", "path": "userName"}, "invalidValue"),
        ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
        ({"op": "replace", "value": "title"}, "invalidValue"),
    ],
)
def test_bad_operations_are_refused_and_change_nothing(scim, ada, op, scim_type):
    response = _patch(scim, ada, op)

    assert response.status_code == 400
    assert response.json()["scimType"] == scim_type
    ada.refresh_from_db()
    assert ada.version == 1


def test_a_body_without_operations_is_refused(scim, ada):
    response = scim.patch(f"Users/{ada.pk}", {"schemas": []})

    assert response.status_code == 400
    assert response.json()["detail"] == "A PatchOp needs a non-empty Operations list."


def test_known_attributes_roster_does_not_keep_are_ignored(scim, ada):
    response = _patch(
        scim,
        ada,
        {"op": "replace", "path": "preferredLanguage", "value": "fr"},
        {"op": "add", "path": 'addresses[type eq "work"].postalCode', "value": "SW1"},
    )

    assert response.status_code == 200
    assert Person.objects.get(pk=ada.pk).version == 1
