"""What the People list and the person page show, and which actions they offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from accounts.invitations import invite_person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE_URL = reverse("admin:accounts_person_changelist")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_people_list_shows_the_day_a_scheduled_invitation_will_be_sent(admin_client, admin_user):
    person = PersonFactory()
    with time_machine.travel(START, tick=False):
        invite_person(person, by=admin_user, send_at=START + timedelta(days=1))
        html = admin_client.get(PEOPLE_URL).content.decode()
    assert "Scheduled 3 Mar" in html
    assert "Scheduled 2 Mar" not in html
