"""The person page as a profile: header, reporting line, invitation, timeline, roles."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.invitations import find_latest_invitation, invite_person
from accounts.invitations.claims import mark_invitation_opened
from accounts.models import LifecycleEvent, Person
from accounts.profile import get_reporting_line, get_timeline_page
from tests.accounts.admin.helpers import change_url
from tests.accounts.invitations.helpers import deliver_queued
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def section(html: str, anchor: str) -> str:
    """The HTML of the profile section with id ``anchor`` (up to its </section>)."""
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', html, re.S)
    assert match, f"no section #{anchor}"
    return match.group(0)


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', html)


def chain(length: int) -> list[Person]:
    """People where each reports to the one before: [top, ..., bottom]."""
    people = [PersonFactory(full_name="Person 0")]
    for i in range(1, length):
        people.append(PersonFactory(full_name=f"Person {i}", manager=people[-1]))
    return people


# --- header -----------------------------------------------------------------


def test_header_shows_name_status_in_words_email_manager_and_department(admin_client):
    boss = PersonFactory(full_name="Grace Hopper")
    person = PersonFactory(
        full_name="Ada Lovelace", email="ada@example.com", department="Research", manager=boss
    )
    html = section(admin_client.get(change_url(person)).content.decode(), "profile")
    assert '<h1 class="profile-name" id="profile-name">Ada Lovelace</h1>' in html
    status = re.search(r'id="profile-status">(.*?)</span>\s*</div>', html, re.S)
    assert status and re.sub(r"<[^>]+>", "", status.group(1)).strip() == "Awaiting invitation"
    assert ("mailto:ada@example.com", "ada@example.com") in links(html)
    assert (change_url(boss), "Grace Hopper") in links(html)
    assert '<dd id="profile-department">Research</dd>' in html


def test_header_offers_the_actions_that_apply_and_the_top_bar_no_longer_repeats_them(
    admin_client,
):
    person = PersonFactory(claimed=True)
    html = admin_client.get(change_url(person)).content.decode()
    header = section(html, "profile")
    assert [text for _, text in links(header) if not _.startswith("mailto:")] == ["Deactivate"]
    deactivate = reverse("admin:accounts_person_deactivate_detail", args=[person.pk])
    assert (deactivate, "Deactivate") in links(header)
    assert html.count(f'href="{deactivate}"') == 1


def test_section_navigation_links_to_every_section_shown(admin_client):
    person = PersonFactory()
    html = admin_client.get(change_url(person)).content.decode()
    nav = re.search(r'<nav class="profile-nav".*?</nav>', html, re.S).group(0)
    anchors = [href for href, _ in links(nav)]
    assert anchors == [
        "#details",
        "#reporting-line",
        "#invitation",
        "#scim-state",
        "#person-groups",
        "#timeline",
    ]
    for anchor in anchors:
        assert f'id="{anchor[1:]}"' in html


# --- reporting line ---------------------------------------------------------


def test_reporting_line_lists_managers_from_the_top_down_each_linked(admin_client):
    top, middle, manager, person = chain(4)
    html = section(admin_client.get(change_url(person)).content.decode(), "reporting-line")
    managers = re.search(r'<ol class="profile-chain".*?</ol>', html, re.S).group(0)
    assert links(managers) == [
        (change_url(top), "Person 0"),
        (change_url(middle), "Person 1"),
        (change_url(manager), "Person 2"),
    ]
    assert '<li aria-current="page"><strong>Person 3</strong></li>' in managers


def test_reporting_line_lists_direct_reports_by_name_with_their_count(admin_client):
    boss = PersonFactory(full_name="Boss")
    zed = PersonFactory(full_name="Zed", manager=boss)
    amy = PersonFactory(full_name="Amy", manager=boss)
    PersonFactory(full_name="Not a report")
    html = section(admin_client.get(change_url(boss)).content.decode(), "reporting-line")
    reports = re.search(r'id="direct-reports".*?</div>', html, re.S).group(0)
    assert '<span class="profile-count" id="direct-report-count">2</span>' in reports
    assert [text for _, text in links(reports)] == ["Amy", "Zed", "Open as a list"]
    assert (change_url(zed), "Zed") in links(reports)
    assert (change_url(amy), "Amy") in links(reports)
    assert "has no manager: the top of the reporting line" in html


def test_person_with_no_manager_and_no_reports_says_so(admin_client):
    person = PersonFactory(full_name="Solo")
    html = section(admin_client.get(change_url(person)).content.decode(), "reporting-line")
    assert "Solo has no manager: the top of the reporting line." in html
    assert "Nobody reports to Solo." in html


def test_more_reports_than_shown_gives_the_total_and_a_link_to_all():
    boss = PersonFactory()
    PersonFactory.create_batch(4, manager=boss)
    line = get_reporting_line(boss, reports_shown=3)
    assert (len(line.reports), line.report_count, line.more_reports) == (3, 4, True)


def test_a_manager_cycle_is_shown_once_and_flagged(admin_client):
    a = PersonFactory(full_name="A")
    b = PersonFactory(full_name="B", manager=a)
    c = PersonFactory(full_name="C", manager=b)
    # Bad data from outside (the database forbids only being one's own manager).
    Person.objects.filter(pk=a.pk).update(manager=c)
    line = get_reporting_line(c)
    assert [p.full_name for p in line.managers] == ["B", "A"]
    assert line.has_cycle
    html = section(admin_client.get(change_url(c)).content.decode(), "reporting-line")
    assert "this reporting line loops back on itself" in html


def test_a_long_chain_stops_at_the_limit_and_says_the_chain_goes_higher(admin_client):
    people = chain(8)
    line = get_reporting_line(people[-1], levels=5)
    assert [p.full_name for p in line.managers] == [f"Person {i}" for i in (6, 5, 4, 3, 2)]
    assert line.is_cut_short and not line.has_cycle
    assert not get_reporting_line(people[-1], levels=7).is_cut_short


# --- invitation -------------------------------------------------------------


def test_invitation_section_shows_sent_opened_and_each_email(admin_client, admin_user):
    person = PersonFactory()
    invite_person(person, by=admin_user)
    deliver_queued()
    mark_invitation_opened(find_latest_invitation(person))
    html = section(admin_client.get(change_url(person)).content.decode(), "invitation")
    assert re.search(r'id="invitation-sent">\d+ \w+ \d{4} \d\d:\d\d<', html)
    assert re.search(r'id="invitation-opened">\d+ \w+ \d{4} \d\d:\d\d<', html)
    assert 'id="invitation-claimed">—<' in html
    emails = re.search(r'<table[^>]*id="invitation-emails".*?</table>', html, re.S).group(0)
    assert emails.count("<tr") == 2
    assert "Sent" in emails


def test_invitation_section_of_someone_never_invited_says_so(admin_client):
    person = PersonFactory(full_name="New Hire")
    html = section(admin_client.get(change_url(person)).content.decode(), "invitation")
    assert "New Hire has not been invited." in html


# --- timeline ---------------------------------------------------------------


def test_timeline_shows_each_change_newest_first_field_by_field(admin_client, admin_user):
    person = services.create_person(
        email="ada@example.com", full_name="Ada", department="Sales", by=admin_user
    )
    services.update_person(person, department="Research", by=admin_user)
    html = section(admin_client.get(change_url(person)).content.decode(), "timeline")
    events = re.findall(r'<li class="profile-event" data-action="(\w+)">', html)
    assert events == ["updated", "created"]
    latest = html.split('<li class="profile-event"')[1]
    assert "<dt>Department</dt>" in latest
    assert '<span class="profile-before">Sales</span>' in latest
    assert '<span class="profile-after">Research</span>' in latest
    assert (change_url(admin_user), "Alex Admin &lt;admin@example.com&gt;") in links(latest)


def test_timeline_pages_through_a_long_history(admin_client, admin_user):
    person = services.create_person(email="ada@example.com", full_name="Ada", by=admin_user)
    for i in range(24):
        services.update_person(person, job_title=f"Title {i}", by=admin_user)
    first = section(admin_client.get(change_url(person)).content.decode(), "timeline")
    assert first.count('<li class="profile-event"') == 20
    assert "Title 23</span>" in first and "Title 3</span>" not in first.split("Title 4")[0]
    assert ("?timeline_page=2#timeline", "Older changes") in links(first)
    assert "Page 1 of 2" in first
    second = section(
        admin_client.get(change_url(person) + "?timeline_page=2").content.decode(), "timeline"
    )
    assert second.count('<li class="profile-event"') == 5
    assert ("?timeline_page=1#timeline", "Newer changes") in links(second)
    assert 'data-action="created"' in second
    nonsense = admin_client.get(change_url(person) + "?timeline_page=x").context["timeline"]
    assert nonsense.number == 1
    beyond = admin_client.get(change_url(person) + "?timeline_page=99").context["timeline"]
    assert beyond.number == 2


def test_timeline_of_a_person_with_no_audited_change_says_so(admin_client):
    person = PersonFactory(full_name="Quiet")
    assert not LifecycleEvent.objects.filter(person_ref=person.pk).exists()
    html = section(admin_client.get(change_url(person)).content.decode(), "timeline")
    assert "No recorded changes to Quiet yet." in html


def test_timeline_entry_shows_a_single_value_change_and_the_reason(admin_user):
    person = PersonFactory()
    services.record_event(
        person, "deactivated", by=admin_user, changes={"password": "changed"}, reason="Left"
    )
    entry = get_timeline_page(person.pk).entries[0]
    assert [(c.label, c.after, c.is_pair) for c in entry.changes] == [
        ("Password", "changed", False)
    ]
    assert (entry.action_label, entry.reason) == ("Deactivated", "Left")


# --- roles ------------------------------------------------------------------


def test_auditors_see_the_profile_without_any_edit_control(client, auditor, admin_user):
    boss = PersonFactory(full_name="Boss")
    person = PersonFactory(full_name="Ada", manager=boss, claimed=True)
    services.update_person(person, department="Research", by=admin_user)
    client.force_login(auditor)
    response = client.get(change_url(person))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="profile-name">Ada</h1>' in html
    assert (change_url(boss), "Boss") in links(section(html, "reporting-line"))
    assert 'data-action="updated"' in section(html, "timeline")
    assert 'class="profile-actions"' not in html
    assert "deactivate/" not in html
    assert not re.search(r'<(input|select|textarea)[^>]*name="(email|department|manager)"', html)
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html


def test_account_managers_get_actions_but_no_scim_section_or_its_nav_entry(client, account_manager):
    person = PersonFactory(claimed=True)
    client.force_login(account_manager)
    html = client.get(change_url(person)).content.decode()
    header = section(html, "profile")
    assert "Deactivate" in [text for _, text in links(header)]
    assert 'href="#scim-state"' not in html
    assert 'id="scim-state"' not in html
    assert 'href="#timeline"' in html


def test_people_without_an_admin_role_cannot_open_a_profile(client):
    viewer = PersonFactory(claimed=True)
    person = PersonFactory(full_name="Secret Person")
    client.force_login(viewer)
    response = client.get(change_url(person))
    assert response.status_code in (302, 403)
    assert "Secret Person" not in response.content.decode()


# --- queries ----------------------------------------------------------------


def page_queries(client, person: Person) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(change_url(person)).status_code == 200
    return len(queries.captured_queries)


def test_profile_queries_do_not_grow_with_chain_reports_or_history(
    admin_client, admin_user, django_assert_max_num_queries
):
    _, small = chain(2)
    PersonFactory(manager=small)
    services.update_person(small, job_title="One", by=admin_user)
    baseline = page_queries(admin_client, small)

    people = chain(14)
    person = people[-2]
    PersonFactory.create_batch(30, manager=person)
    for i in range(25):
        services.update_person(person, job_title=f"Title {i}", by=admin_user)
    with django_assert_max_num_queries(baseline):
        response = admin_client.get(change_url(person))
    assert len(response.context["reporting_line"].managers) == 12
    assert response.context["reporting_line"].report_count == 31
    assert len(response.context["timeline"].entries) == 20
    assert baseline <= 30
