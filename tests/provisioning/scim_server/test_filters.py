"""SCIM filters: parsed, compiled to queries, and refused when malformed."""

from __future__ import annotations

import pytest

from provisioning.scim_server.errors import ScimError
from provisioning.scim_server.filters import And, Compare, Not, Or, Present, parse_filter
from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import ENTERPRISE


def test_parser_builds_the_expected_tree():
    tree = parse_filter('userName Eq "a@b.c" OR (title pr and NOT (active eq false)) and id gt 5')

    assert tree == Or(
        Compare("userName", "eq", "a@b.c"),
        And(And(Present("title"), Not(Compare("active", "eq", False))), Compare("id", "gt", 5)),
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "userName",
        "userName eq",
        'userName xx "a"',
        'userName eq "a" and',
        '(userName eq "a"',
        'userName eq "a")',
        "userName eq unquoted",
        'nosuch eq "a"',
        'urn:example:thing:name eq "a"',
        'emails[type eq "work"',
        "active gt true",
        'meta.created gt "yesterday"',
        "(" * 100 + "title pr" + ")" * 100,
        'title eq "\u0000"',
    ],
)
def test_malformed_filters_are_invalid_filter_errors(scim, text):
    response = scim.get("Users", filter=text)

    if text == "":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


@pytest.fixture
def people(db):
    boss = PersonFactory(
        email="boss@example.com",
        first_name="Bo",
        last_name="Ss",
        full_name="Bo Ss",
        department="Exec",
        job_title="",
        location="",
        phone_number="",
    )
    return {
        "boss": boss,
        "ada": PersonFactory(
            email="Ada@Example.com",
            first_name="Ada",
            last_name="Lovelace",
            full_name="Ada Lovelace",
            job_title="Analyst",
            department="Maths",
            location="London",
            external_id="E-1",
            phone_number="+442079460018",
            manager=boss,
        ),
        "alan": PersonFactory(
            email="alan@example.org",
            first_name="Alan",
            last_name="Turing",
            full_name="Alan Turing",
            job_title="",
            department="Maths",
            location="",
            status="deactivated",
        ),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "ADA@example.COM"', ["ada"]),
        ('userName ne "ada@example.com"', ["boss", "alan"]),
        ('userName co "EXAMPLE.org"', ["alan"]),
        ('userName sw "a"', ["ada", "alan"]),
        ('userName ew ".com"', ["boss", "ada"]),
        ("title pr", ["ada"]),
        ("not (title pr)", ["boss", "alan"]),
        ('name.givenName eq "ada"', ["ada"]),
        ('name.familyName gt "M"', ["boss", "alan"]),
        ('displayName le "Alan Turing"', ["ada", "alan"]),
        ('externalId eq "E-1"', ["ada"]),
        ('externalId eq "e-1"', []),
        ("active eq false", ["alan"]),
        ("active eq true", ["boss", "ada"]),
        ('emails[type eq "work" and value co "ada"]', ["ada"]),
        ('emails.value eq "alan@example.org"', ["alan"]),
        ('phoneNumbers[type eq "work"] and userName sw "a"', ["ada"]),
        ('addresses[type eq "work" and locality eq "london"]', ["ada"]),
        (f'{ENTERPRISE}:department eq "maths" and not (active eq false)', ["ada"]),
        ('department eq "Exec" or title eq "Analyst"', ["boss", "ada"]),
        (f"{ENTERPRISE}:manager.value pr", ["ada"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["boss", "ada", "alan"]),
        ('meta.resourceType eq "User" and userName sw "b"', ["boss"]),
        ('nickName eq "x"', []),
        ('id eq "abc"', []),
    ],
)
def test_filters_select_the_expected_people(scim, people, text, expected):
    response = scim.get("Users", filter=text)

    assert response.status_code == 200, response.json()
    ids = [r["id"] for r in response.json()["Resources"]]
    assert ids == [str(people[name].pk) for name in expected]
    assert response.json()["totalResults"] == len(expected)


def test_manager_filter_by_id(scim, people):
    response = scim.get("Users", filter=f'{ENTERPRISE}:manager eq "{people["boss"].pk}"')

    assert [r["id"] for r in response.json()["Resources"]] == [str(people["ada"].pk)]


def test_search_posts_the_same_filters(scim, people):
    response = scim.post(
        "Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "a"',
            "attributes": ["userName"],
            "count": 1,
        },
    )

    assert response.json()["totalResults"] == 2
    assert response.json()["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": str(people["ada"].pk),
            "userName": "Ada@Example.com",
        }
    ]


def test_parse_errors_carry_scim_type():
    with pytest.raises(ScimError) as raised:
        parse_filter('userName eq "a" junk')

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidFilter")
