"""The People pages show an identity provider's userName (where it differs
from the email) and a phone number kept as given, marked unverified."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jdoe(db):
    return PersonFactory(
        email="john.doe@example.com",
        user_name="jdoe@corp.onmicrosoft.com",
        phone_number="",
        phone_number_given="ext. 4411",
    )


@pytest.mark.parametrize("viewer", ["admin_user", "account_manager", "auditor"])
def test_people_list_shows_the_username_beside_the_email(client, request, jdoe, viewer):
    client.force_login(request.getfixturevalue(viewer))
    plain = PersonFactory(email="plain@example.com")

    html = client.get(reverse("admin:accounts_person_changelist")).content.decode()

    assert "john.doe@example.com<br><small>userName: jdoe@corp.onmicrosoft.com</small>" in html
    assert plain.email in html
    assert "userName: plain@example.com" not in html


def test_person_page_shows_username_and_unverified_phone(admin_client, jdoe):
    html = admin_client.get(
        reverse("admin:accounts_person_change", args=[jdoe.pk])
    ).content.decode()

    assert "jdoe@corp.onmicrosoft.com" in html
    assert "ext. 4411 (unverified: not a number Roster could parse)" in html


def test_person_page_of_someone_without_them_shows_neither(admin_client):
    plain = PersonFactory(email="plain@example.com", phone_number="+442079460018")

    html = admin_client.get(
        reverse("admin:accounts_person_change", args=[plain.pk])
    ).content.decode()

    assert "userName (SCIM)" not in html
    assert "Phone number as given" not in html
