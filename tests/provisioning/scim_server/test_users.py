"""The Users endpoint: mapping, RFC 7644 behaviour and the services behind it."""

from __future__ import annotations

import json

import pytest

from accounts.models import Invitation, LifecycleEvent, Person
from tests.factories import AllowedDomainFactory, PersonFactory
from tests.provisioning.scim_server.conftest import (
    CORE,
    ENTERPRISE,
    ERROR,
    new_user,
    patch_op,
)


def _full_user(email: str = "grace@example.com", **extra):
    body = {
        "schemas": [CORE, ENTERPRISE],
        "userName": email,
        "externalId": "E-100",
        "name": {"givenName": "Grace", "familyName": "Hopper", "formatted": "Grace Hopper"},
        "displayName": "Amazing Grace",
        "title": "Rear Admiral",
        "active": True,
        "emails": [{"value": email, "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0018", "type": "work"}],
        "addresses": [{"locality": "Arlington", "type": "work", "postalCode": "22201"}],
        "preferredLanguage": "en-GB",
        ENTERPRISE: {"department": "Navy", "costCenter": "42"},
    }
    body.update(extra)
    return body


def test_post_creates_a_person_from_scim_attributes(scim):
    boss = PersonFactory(email="boss@example.com")
    body = _full_user()
    body[ENTERPRISE]["manager"] = {"value": str(boss.pk)}

    response = scim.post("Users", body)

    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    person = Person.objects.get(email="grace@example.com")
    assert response["Location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    assert response["ETag"] == 'W/"1"'
    assert (
        person.first_name,
        person.last_name,
        person.full_name,
        person.external_id,
        person.job_title,
        person.phone_number,
        person.location,
        person.department,
        person.manager,
        person.source,
        person.status,
    ) == (
        "Grace",
        "Hopper",
        "Amazing Grace",
        "E-100",
        "Rear Admiral",
        "+442079460018",
        "Arlington",
        "Navy",
        boss,
        "scim",
        "staged",
    )
    assert response.json() == {
        "schemas": [CORE, ENTERPRISE],
        "id": str(person.pk),
        "externalId": "E-100",
        "userName": "grace@example.com",
        "name": {"formatted": "Amazing Grace", "familyName": "Hopper", "givenName": "Grace"},
        "displayName": "Amazing Grace",
        "title": "Rear Admiral",
        "active": True,
        "emails": [{"value": "grace@example.com", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0018", "type": "work"}],
        "addresses": [{"locality": "Arlington", "type": "work"}],
        ENTERPRISE: {
            "employeeNumber": "E-100",
            "department": "Navy",
            "manager": {
                "value": str(boss.pk),
                "$ref": f"http://testserver/scim/v2/Users/{boss.pk}",
            },
        },
        "meta": {
            "resourceType": "User",
            "created": person.created_at.isoformat(),
            "lastModified": person.updated_at.isoformat(),
            "location": f"http://testserver/scim/v2/Users/{person.pk}",
            "version": 'W/"1"',
        },
    }


def test_changes_are_audited_with_the_scim_client_as_actor(scim):
    scim.post("Users", new_user())

    event = LifecycleEvent.objects.get(action="created", subject_kind="person")
    assert (event.actor_kind, event.actor_label, event.actor) == (
        "scim",
        "SCIM client Okta",
        None,
    )


def test_post_with_a_taken_username_in_any_case_is_a_uniqueness_conflict(scim):
    PersonFactory(email="ada@example.com")

    response = scim.post("Users", new_user("ADA@Example.com"))

    assert response.status_code == 409
    assert response.json() == {
        "schemas": [ERROR],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "email: Another person already has the email ADA@example.com.",
    }
    assert Person.objects.count() == 1


def test_post_with_a_taken_external_id_is_a_uniqueness_conflict(scim):
    PersonFactory(external_id="E-1")

    response = scim.post("Users", new_user(externalId="E-1"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_post_outside_the_allowed_domains_is_refused_with_the_message(scim):
    AllowedDomainFactory(domain="example.com")

    response = scim.post("Users", new_user("eve@elsewhere.org"))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert response.json()["detail"] == (
        "email: The domain elsewhere.org is not one of the organisation's allowed email domains."
    )
    assert not Person.objects.exists()


def test_post_inactive_creates_a_deactivated_person(scim):
    response = scim.post("Users", new_user(active="False"))

    assert response.status_code == 201
    assert response.json()["active"] is False
    assert Person.objects.get().status == "deactivated"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"userName": "x@example.com", "nickname2": "x"}, "is not an attribute"),
        ({"userName": "x@example.com", "name": {"nick": "x"}}, "is not a sub-attribute"),
        ({"userName": "x@example.com", "urn:example:custom:1.0:User": {}}, "not an attribute"),
        ({"userName": "x@example.com", "active": "maybe"}, "active must be true or false."),
        ({"userName": ["x@example.com"]}, "userName must be a string."),
        ({"name": {"givenName": "x"}}, "userName is required."),
        ({"userName": "not-an-email"}, "Roster needs an email address"),
        ({"userName": "jdoe", "emails": [{"value": "jdoe"}]}, "is not a valid email address."),
        ({"userName": "x@example.com", "title": "t" * 201}, "longer than 200"),
        ({"userName": "x\u0000@example.com"}, "NUL"),
        (
            {"userName": "x@example.com", ENTERPRISE: {"manager": {"value": "999999"}}},
            "No user with id 999999 to be the manager.",
        ),
    ],
)
def test_invalid_users_are_refused_with_400_in_the_error_schema(scim, body, detail):
    response = scim.post("Users", body)

    assert response.status_code == 400
    assert response.json()["schemas"] == [ERROR]
    assert response.json()["status"] == "400"
    assert detail in response.json()["detail"]
    assert not Person.objects.exists()


def test_malformed_json_is_a_400_in_the_error_schema(scim):
    response = scim.post("Users", '{"userName": ')

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_oversized_bodies_are_refused(settings, scim):
    settings.ROSTER_SCIM_MAX_BODY_BYTES = 1000

    response = scim.post("Users", new_user(title="x" * 2000))

    assert response.status_code == 400
    assert response.json()["detail"] == "Request bodies are limited to 1000 bytes."
    assert not Person.objects.exists()


def test_plain_json_content_type_is_accepted(scim, issued):
    response = scim.client.post(
        "/scim/v2/Users",
        data=json.dumps(new_user()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issued.token}"},
    )

    assert response.status_code == 201


def test_get_unknown_or_malformed_ids_answer_404(scim):
    assert scim.get("Users/999999").status_code == 404
    assert scim.get("Users/abc").json()["status"] == "404"


def test_deactivated_people_are_still_returned(scim):
    person = PersonFactory(email="gone@example.com", status="deactivated")

    assert scim.get(f"Users/{person.pk}").json()["active"] is False
    listed = scim.get("Users", filter='userName eq "gone@example.com"').json()
    assert [r["active"] for r in listed["Resources"]] == [False]


def test_invited_and_active_people_are_active(scim):
    invited = PersonFactory(status="invited")
    active = PersonFactory(claimed=True)

    assert scim.get(f"Users/{invited.pk}").json()["active"] is True
    assert scim.get(f"Users/{active.pk}").json()["active"] is True


def test_if_none_match_with_the_current_version_answers_304(scim):
    person = PersonFactory()

    response = scim.get(f"Users/{person.pk}", headers={"If-None-Match": 'W/"1"'})

    assert response.status_code == 304
    assert scim.get(f"Users/{person.pk}", headers={"If-None-Match": 'W/"0"'}).status_code == 200


def test_if_match_with_a_stale_version_answers_412_and_changes_nothing(scim):
    person = PersonFactory(job_title="Engineer")
    body = patch_op({"op": "replace", "path": "title", "value": "CTO"})

    stale = scim.patch(f"Users/{person.pk}", body, headers={"If-Match": 'W/"7"'})

    assert stale.status_code == 412
    assert stale.json()["status"] == "412"
    person.refresh_from_db()
    assert (person.job_title, person.version) == ("Engineer", 1)
    fresh = scim.patch(f"Users/{person.pk}", body, headers={"If-Match": 'W/"1"'})
    assert fresh.status_code == 200
    assert fresh["ETag"] == 'W/"2"'
    assert scim.delete(f"Users/{person.pk}", headers={"If-Match": 'W/"1"'}).status_code == 412


def test_put_replaces_attributes_and_clears_those_left_out(scim):
    person = PersonFactory(
        email="ada@example.com",
        phone_number="+442079460018",
        job_title="Engineer",
        external_id="E-1",
    )

    response = scim.put(
        f"Users/{person.pk}",
        {"schemas": [CORE], "userName": "ada@example.com", "name": {"givenName": "Ada"}},
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.full_name) == ("Ada", "", "Ada")
    assert (person.phone_number, person.job_title, person.location) == ("", "", "")
    assert (person.external_id, person.status) == ("E-1", "staged")


def test_put_changes_the_email_through_username(scim):
    person = PersonFactory(email="old@example.com")

    scim.put(f"Users/{person.pk}", new_user("new@example.com"))

    person.refresh_from_db()
    assert person.email == "new@example.com"


def test_delete_deactivates_by_default(scim):
    person = PersonFactory(status="invited")

    response = scim.delete(f"Users/{person.pk}")

    assert response.status_code == 204
    person.refresh_from_db()
    assert person.status == "deactivated"
    # RFC 7644 §3.6: a deleted resource is not returned any more, though the
    # person stays in Roster, deactivated.
    assert scim.get(f"Users/{person.pk}").status_code == 404
    assert scim.get("Users", filter=f'userName eq "{person.email}"').json()["totalResults"] == 0
    assert scim.delete(f"Users/{person.pk}").status_code == 404
    assert Person.objects.filter(pk=person.pk, status="deactivated").exists()


def test_delete_mode_deletes_people_who_never_claimed(settings, scim):
    settings.ROSTER_SCIM_DELETE_MODE = "delete"
    person = PersonFactory()

    assert scim.delete(f"Users/{person.pk}").status_code == 204

    assert not Person.objects.filter(pk=person.pk).exists()
    assert scim.get(f"Users/{person.pk}").status_code == 404
    event = LifecycleEvent.objects.get(action="deleted")
    assert event.actor_label == "SCIM client Okta"


def test_delete_mode_deactivates_people_who_claimed(settings, scim):
    settings.ROSTER_SCIM_DELETE_MODE = "delete"
    person = PersonFactory(claimed=True)

    assert scim.delete(f"Users/{person.pk}").status_code == 204

    person.refresh_from_db()
    assert person.status == "deactivated"


def test_list_pages_in_id_order(scim):
    people = [PersonFactory() for _ in range(5)]

    first = scim.get("Users", startIndex=1, count=2).json()
    second = scim.get("Users", startIndex=3, count=2).json()
    last = scim.get("Users", startIndex=5, count=2).json()

    ids = [str(p.pk) for p in people]
    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (5, 1, 2)
    assert [r["id"] for r in first["Resources"]] == ids[:2]
    assert [r["id"] for r in second["Resources"]] == ids[2:4]
    assert [r["id"] for r in last["Resources"]] == ids[4:]
    assert scim.get("Users", count=0).json()["Resources"] == []
    assert scim.get("Users", count=0).json()["totalResults"] == 5
    assert scim.get("Users", count="ten").status_code == 400


def test_a_lookup_that_matches_nothing_is_an_empty_list(scim):
    response = scim.get("Users", filter='userName eq "nobody@example.com"')

    assert response.status_code == 200
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_username_lookup_costs_one_query(scim, django_assert_num_queries):
    PersonFactory(email="ada@example.com")
    scim.get("ServiceProviderConfig")  # authenticated and last-used written

    with django_assert_num_queries(1):
        response = scim.get("Users", filter='userName eq "Ada@Example.com"')

    assert response.json()["totalResults"] == 1


def test_attributes_and_excluded_attributes_shape_the_response(scim):
    person = PersonFactory(department="Sales", job_title="Rep")

    only = scim.get(
        f"Users/{person.pk}", attributes=f"userName,name.givenName,{ENTERPRISE}:department"
    ).json()
    without = scim.get("Users", excludedAttributes="emails,meta,title,id").json()

    assert only == {
        "schemas": [CORE, ENTERPRISE],
        "id": str(person.pk),
        "userName": person.email,
        "name": {"givenName": person.first_name},
        ENTERPRISE: {"department": "Sales"},
    }
    resource = without["Resources"][0]
    assert "emails" not in resource and "meta" not in resource and "title" not in resource
    assert resource["id"] == str(person.pk)


def test_methods_other_than_get_on_discovery_are_405(scim):
    response = scim.post("ServiceProviderConfig", {})

    assert response.status_code == 405
    assert response.json()["status"] == "405"


def test_discovery_lists_groups_and_says_bulk_is_not_served(scim):
    config = scim.get("ServiceProviderConfig").json()
    types = scim.get("ResourceTypes").json()

    assert config["bulk"]["supported"] is False
    assert config["etag"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert scim.get("Groups").status_code == 200


def test_a_client_with_auto_invite_invites_the_people_it_creates(
    db, django_capture_on_commit_callbacks
):
    from accounts.actors import CLI
    from provisioning.scim_server import services
    from tests.provisioning.scim_server.conftest import Scim

    issued = services.issue_client("Entra", by=CLI, auto_invite=True)

    with django_capture_on_commit_callbacks(execute=False):
        response = Scim(issued.token).post("Users", new_user())

    assert response.status_code == 201
    person = Person.objects.get()
    assert person.status == "invited"
    assert Invitation.objects.filter(person=person).count() == 1
    assert LifecycleEvent.objects.filter(person=person).values_list(
        "action", "actor_label"
    ).order_by("id")[1] == ("invited", "SCIM client Entra")


def test_a_client_without_auto_invite_leaves_people_awaiting_invitation(scim):
    scim.post("Users", new_user())

    assert Person.objects.get().status == "staged"
