"""The person page shows that person's SCIM state on each target."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from provisioning.scim import services
from provisioning.scim.models import ScimLink
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PUSHED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def person_page(client, person) -> str:
    return client.get(reverse("admin:accounts_person_change", args=[person.pk])).content.decode()


def rows(html: str) -> dict[str, list[str]]:
    section = html.split('id="scim-state"', 1)[1].split("</table>", 1)[0]
    found = {}
    for name, row in re.findall(r'<tr [^>]*data-target="([^"]+)">(.*?)</tr>', section, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found[name] = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
    return found


def test_person_page_lists_remote_id_state_last_push_and_error_per_target(
    admin_client, admin_user, settings
):
    settings.TIME_ZONE = "UTC"
    slack = services.create_target(name="Slack", base_url="https://slack.example/v2", by=admin_user)
    zoom = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    services.create_target(name="Atlassian", base_url="https://atl.example/v2", by=admin_user)
    person = PersonFactory()
    ScimLink.objects.create(
        target=slack,
        person=person,
        person_ref=person.pk,
        remote_id="U123",
        synced_version=person.version,
        last_pushed_at=PUSHED,
    )
    ScimLink.objects.create(
        target=zoom,
        person=person,
        person_ref=person.pk,
        failed_version=person.version,
        last_error="POST /Users answered 400: bad phone",
    )

    assert rows(person_page(admin_client, person)) == {
        "Atlassian": ["Atlassian", "—", "Not pushed yet", "—", "—"],
        "Slack": ["Slack", "U123", "Synced", "2 Mar 2026 09:30", "—"],
        "Zoom": ["Zoom", "—", "Failed", "—", "POST /Users answered 400: bad phone"],
    }


def test_a_person_changed_since_the_last_push_shows_pending(admin_client, admin_user):
    slack = services.create_target(name="Slack", base_url="https://slack.example/v2", by=admin_user)
    person = PersonFactory()
    ScimLink.objects.create(
        target=slack,
        person=person,
        person_ref=person.pk,
        remote_id="U123",
        synced_version=person.version - 1,
        last_pushed_at=PUSHED,
    )
    assert rows(person_page(admin_client, person))["Slack"][2] == "Pending"


def test_account_managers_do_not_see_integrations_on_the_person_page(client, account_manager):
    person = PersonFactory()
    client.force_login(account_manager)
    html = person_page(client, person)
    assert 'id="direct-reports"' in html
    assert 'id="scim-state"' not in html
