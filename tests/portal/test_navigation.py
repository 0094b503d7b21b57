"""The side menu by task, and the header's search for people and pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _menu(response) -> dict[str, list[str]]:
    return {
        group["title"]: [item["title"] for item in group["items"]]
        for group in response.context["sidebar_navigation"]
        if group["items"]
    }


def test_administrators_get_the_menu_by_task_in_order(admin_client, settings):
    settings.ROSTER_MAIL_TO_FILES = False
    response = admin_client.get(reverse("admin:index"))
    assert list(_menu(response)) == [
        "Dashboard",
        "People",
        "Invitations",
        "Groups",
        "Identity providers",
        "Provisioning",
        "Reports",
        "Settings",
    ]
    assert _menu(response) == {
        "Dashboard": ["Dashboard"],
        "People": ["Directory", "Import", "Export"],
        "Invitations": ["Pending", "Scheduled", "Failed deliveries"],
        "Groups": ["Groups"],
        "Identity providers": ["Identity providers"],
        "Provisioning": ["SCIM targets", "Inbound SCIM clients"],
        "Reports": ["Audit log", "Imports", "Saved column choices", "Sync runs", "SCIM runs"],
        "Settings": [
            "Organisation",
            "Allowed domains",
            "API tokens",
            "Staff roles",
            "Two-factor authentication",
        ],
    }
    html = response.content.decode()
    # Scheduler tables, link tables and the app list are not offered.
    for hidden in ("Crontabs", "Clocked", "Solar events", "SCIM links", "Periodic tasks"):
        assert hidden not in html


def test_account_managers_get_only_the_tasks_of_their_role(client, account_manager):
    client.force_login(account_manager)
    assert _menu(client.get(reverse("admin:index"))) == {
        "Dashboard": ["Dashboard"],
        "People": ["Directory", "Import", "Export"],
        "Invitations": ["Pending", "Scheduled", "Failed deliveries"],
        "Groups": ["Groups"],
        "Reports": ["Audit log", "Imports", "Saved column choices"],
        "Settings": ["Allowed domains", "Staff roles", "Two-factor authentication"],
    }


def test_auditors_read_reports_and_settings_but_not_import(client, auditor):
    client.force_login(auditor)
    menu = _menu(client.get(reverse("admin:index")))
    assert menu["People"] == ["Directory", "Export"]
    assert menu["Reports"] == [
        "Audit log",
        "Imports",
        "Saved column choices",
        "Sync runs",
        "SCIM runs",
    ]
    assert "Organisation" in menu["Settings"]


def test_every_menu_link_opens_for_the_administrator(admin_client):
    response = admin_client.get(reverse("admin:index"))
    for group in response.context["sidebar_navigation"]:
        for item in group["items"]:
            assert admin_client.get(item["link"]).status_code == 200, item["link"]


def test_the_filtered_views_behind_the_menu_list_the_right_people(admin_client, admin_user):
    invited = PersonFactory(status=Person.Status.INVITED)
    PersonFactory()
    people = reverse("admin:accounts_person_changelist")

    def listed(query: str) -> list[int]:
        return [p.pk for p in admin_client.get(f"{people}?{query}").context["cl"].result_list]

    assert listed("status__exact=invited") == [invited.pk]
    assert listed("staff=yes") == [admin_user.pk]


def _search(client, term: str) -> str:
    response = client.get(reverse("admin:search"), {"s": term, "extended": "1"})
    assert response.status_code == 200
    return response.content.decode()


def test_search_finds_people_by_name_email_and_external_id(admin_client):
    ada = PersonFactory(full_name="Ada Lovelace", email="ada@example.com", external_id="E-77")
    PersonFactory(full_name="Grace Hopper", email="grace@example.com")
    link = reverse("admin:accounts_person_change", args=[ada.pk])
    for term in ("lovelace", "ada@exa", "E-77"):
        html = _search(admin_client, term)
        assert link in html
        assert "Grace Hopper" not in html


def test_search_jumps_to_pages_of_the_menu(admin_client):
    html = _search(admin_client, "audit")
    assert "Reports · Audit log" in html
    assert reverse("admin:accounts_lifecycleevent_changelist") in html


def test_search_offers_no_people_or_pages_beyond_the_role(client, account_manager):
    PersonFactory(full_name="Ada Lovelace")
    client.force_login(account_manager)
    html = _search(client, "scim")
    assert reverse("admin:provisioning_scimtarget_changelist") not in html
