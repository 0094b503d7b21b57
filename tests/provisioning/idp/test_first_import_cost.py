"""A first import's per-person costs stay per-run: the organisation's phone
region is read once, and the people created are linked from what the apply
reported, each with their provider id and warnings."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts import phones
from accounts.models import Organisation, Person
from provisioning.idp.models import SourceLink
from tests.provisioning.idp.test_sync import connect_entra, imported

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _french_organisation():
    Organisation.objects.create(
        name="Acme", time_zone="Europe/Paris", phone_region="FR", invite_expiry_days=7
    )
    cache.clear()
    yield
    cache.clear()


def test_national_numbers_read_in_the_saved_region_looked_up_once_per_run(
    fake_graph, admin_user, directory, monkeypatch
):
    directory.update(5, phone="01 23 45 67 89")
    directory.update(6, phone="ext 12")
    lookups = []
    real = phones.current_organisation
    monkeypatch.setattr(phones, "current_organisation", lambda: lookups.append(1) or real())
    source = connect_entra(fake_graph, admin_user)

    run = imported(source, admin_user)

    assert Person.objects.get(email=directory.people[5].email).phone_number == "+33123456789"
    # 3,000 people with phones: none made normalise_phone read the settings.
    assert lookups == []
    assert run.count_new == len(directory.people)
    warned = Person.objects.get(email=directory.people[6].email)
    assert warned.phone_number == ""
    assert warned.source_link.warnings[0]["column"] == "Phone number"


def test_every_person_created_is_linked_with_their_provider_id(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user)

    run = imported(source, admin_user)

    links = dict(
        SourceLink.objects.filter(source=source).values_list("person__email", "external_key")
    )
    assert run.count_new == len(links) == len(directory.people)
    assert links == {p.email: p.object_id for p in directory.people}
