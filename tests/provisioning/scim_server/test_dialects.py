"""Request sequences shaped like Microsoft Entra ID's and Okta's provisioning."""

from __future__ import annotations

from accounts.models import LifecycleEvent, Person
from tests.provisioning.scim_server.conftest import CORE, ENTERPRISE, PATCH_OP


def test_entra_lookup_create_update_and_disable(scim):
    lookup = scim.get("Users", filter='userName eq "alex.wilber@example.com"')
    assert lookup.status_code == 200
    assert lookup.json()["totalResults"] == 0

    created = scim.post(
        "Users",
        {
            "schemas": [CORE, ENTERPRISE],
            "externalId": "AlexW",
            "userName": "alex.wilber@example.com",
            "active": True,
            "displayName": "Alex Wilber",
            "title": "Marketing Assistant",
            "emails": [{"primary": True, "type": "work", "value": "alex.wilber@example.com"}],
            "preferredLanguage": "en-US",
            "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
            "addresses": [{"type": "work", "locality": "Birmingham", "country": "GB"}],
            "phoneNumbers": [
                {"type": "work", "value": "+44 121 496 0000"},
                {"type": "mobile", "value": "+44 7700 900000"},
            ],
            ENTERPRISE: {"employeeNumber": "AlexW", "department": "Marketing"},
        },
    )
    assert created.status_code == 201
    user_id = created.json()["id"]

    updated = scim.patch(
        f"Users/{user_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "title", "value": "Marketing Lead"},
                {"op": "Replace", "path": "active", "value": "True"},
                {
                    "op": "Add",
                    "path": 'phoneNumbers[type eq "work"].value',
                    "value": "+44 121 496 0001",
                },
                {
                    "op": "Replace",
                    "value": {
                        "name.givenName": "Alexander",
                        f"{ENTERPRISE}:department": "Growth",
                    },
                },
                {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": user_id},
            ],
        },
    )
    assert updated.status_code == 400
    assert updated.json()["detail"] == "manager: A person cannot be their own manager."

    updated = scim.patch(
        f"Users/{user_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "title", "value": "Marketing Lead"},
                {"op": "Replace", "path": "active", "value": "True"},
                {
                    "op": "Add",
                    "path": 'phoneNumbers[type eq "work"].value',
                    "value": "+44 121 496 0001",
                },
                {
                    "op": "Replace",
                    "value": {
                        "name.givenName": "Alexander",
                        f"{ENTERPRISE}:department": "Growth",
                    },
                },
            ],
        },
    )
    assert updated.status_code == 200

    disabled = scim.patch(
        f"Users/{user_id}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    assert disabled.status_code == 200
    assert disabled.json()["active"] is False

    person = Person.objects.get(pk=user_id)
    assert (
        person.email,
        person.external_id,
        person.first_name,
        person.full_name,
        person.job_title,
        person.department,
        person.phone_number,
        person.location,
        person.status,
    ) == (
        "alex.wilber@example.com",
        "AlexW",
        "Alexander",
        "Alexander Wilber",
        "Marketing Lead",
        "Growth",
        "+441214960001",
        "Birmingham",
        "deactivated",
    )
    assert list(
        LifecycleEvent.objects.filter(subject_kind="person")
        .order_by("id")
        .values_list("action", "actor_label")
    ) == [
        ("created", "SCIM client Okta"),
        ("updated", "SCIM client Okta"),
        ("deactivated", "SCIM client Okta"),
    ]
    again = scim.get("Users", filter='userName eq "Alex.Wilber@example.com"').json()
    assert [(r["id"], r["active"]) for r in again["Resources"]] == [(user_id, False)]


def test_okta_lookup_create_profile_put_and_deactivate(scim):
    lookup = scim.get(
        "Users", filter='userName eq "dade.murphy@example.com"', startIndex=1, count=100
    )
    assert lookup.json()["Resources"] == []

    profile = {
        "schemas": [CORE],
        "userName": "dade.murphy@example.com",
        "name": {"givenName": "Dade", "familyName": "Murphy"},
        "emails": [{"primary": True, "value": "dade.murphy@example.com", "type": "work"}],
        "displayName": "Dade Murphy",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "t1meMa$heen",
        "active": True,
    }
    created = scim.post("Users", profile)
    assert created.status_code == 201
    user_id = created.json()["id"]

    profile = {
        **profile,
        "id": user_id,
        "name": {"givenName": "Dade", "familyName": "Murphy-Burns"},
        "displayName": "Zero Cool",
        "title": "Engineer",
    }
    profile.pop("password")
    replaced = scim.put(f"Users/{user_id}", profile)
    assert replaced.status_code == 200
    assert replaced.json()["displayName"] == "Zero Cool"

    deactivated = scim.patch(
        f"Users/{user_id}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False

    person = Person.objects.get(pk=user_id)
    assert (person.last_name, person.full_name, person.job_title, person.status) == (
        "Murphy-Burns",
        "Zero Cool",
        "Engineer",
        "deactivated",
    )
    assert person.external_id == "00ujl29u0le5T6Aj10h7"
    assert not person.has_usable_password()
    listed = scim.get("Users", filter='userName eq "dade.murphy@example.com"').json()
    assert listed["totalResults"] == 1
