"""Random filters and PATCH bodies never make the SCIM server fail with a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PersonFactory
from tests.provisioning.scim_server.conftest import ENTERPRISE, PATCH_OP

ATTRIBUTES = [
    "userName",
    "id",
    "externalId",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "displayName",
    "title",
    "active",
    "emails",
    "emails.value",
    "emails.type",
    "phoneNumbers",
    "phoneNumbers.value",
    "addresses",
    "addresses.locality",
    "meta.created",
    "meta.lastModified",
    "nickName",
    "bogus",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:manager.value",
    f"{ENTERPRISE}:employeeNumber",
    ENTERPRISE,
    "urn:x:y",
    "a.b.c",
]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "xx"]
values = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(
        [
            "true",
            "false",
            "null",
            "12",
            "-1.5e3",
            "2024-01-01T00:00:00Z",
            '"2024-01-01T00:00:00Z"',
            "99999999999999999999999",
        ]
    ),
)
comparisons = st.builds(
    lambda a, o, v: f"{a} {o}" if o == "pr" else f"{a} {o} {v}",
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(OPERATORS),
    values,
)
filters = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda a, b, j: f"{a} {j} {b}", inner, inner, st.sampled_from(["and", "or"])),
        inner.map(lambda f: f"not ({f})"),
        inner.map(lambda f: f"({f})"),
        st.builds(
            lambda a, f: f"{a}[{f}]", st.sampled_from(["emails", "addresses", "name"]), inner
        ),
    ),
    max_leaves=6,
)
junk = st.text(alphabet='()[]" andortpreqsw.:\\x0', max_size=40)

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=20),
        st.sampled_from(["True", "False", "ada@example.com", "+442079460018"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["value", "type", "primary", "givenName", "locality", "department", "x"]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)
paths = st.one_of(
    st.none(),
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(
        [
            'emails[type eq "work"].value',
            'phoneNumbers[type eq "work"].value',
            'addresses[type eq "work"].locality',
            'phoneNumbers[value co "4"]',
            "emails[",
            "name[givenName eq 1]",
        ]
    ),
    st.text(max_size=15),
)
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "Replace", "remove", "copy", 3])},
    optional={"path": paths, "value": json_values},
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {"schemas": st.just([PATCH_OP]), "Operations": st.lists(operations, max_size=4)}
    ),
    json_values,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def someone(db):
    return PersonFactory(email="ada@example.com", phone_number="+442079460018")


@FUZZ
@given(text=st.one_of(filters, junk))
def test_no_filter_makes_the_server_fail(scim, someone, text):
    response = scim.get("Users", filter=text)

    assert response.status_code in (200, 400), (text, response.content)
    if response.status_code == 400:
        assert response.json()["scimType"] == "invalidFilter"


@FUZZ
@given(body=bodies)
def test_no_patch_body_makes_the_server_fail(scim, someone, body):
    response = scim.patch(f"Users/{someone.pk}", body)

    assert response.status_code in (200, 400, 409), (body, response.content)
    assert response.json().get("status", "200") == str(response.status_code)


@FUZZ
@given(body=json_values)
def test_no_post_body_makes_the_server_fail(scim, body):
    response = scim.post("Users", body)

    assert response.status_code in (201, 400, 409), (body, response.content)
