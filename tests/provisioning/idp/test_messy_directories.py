"""Directory imports from tenants as they really are (2,000 users, manager chains
five deep, about 5% disabled, free-text phones, people without mail or employee
ID): every in-scope active user arrives, stays one person through renames, and a
full read and a delta read agree."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import LifecycleEvent, Person
from provisioning.idp import services as idp_services
from provisioning.idp.models import SourceLink, SyncRun
from tests.factories import PersonFactory
from tests.provisioning.idp.directory import Directory
from tests.provisioning.idp.test_sync import connect_entra, connect_google, imported

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

USERS = 2000


@pytest.fixture
def directory() -> Directory:
    return Directory.messy(USERS)


def state(source) -> dict[str, tuple]:
    """Each person of the source as the test compares them."""
    people = Person.objects.filter(source_link__source=source).select_related(
        "manager", "source_link"
    )
    return {
        p.source_link.external_key: (
            p.email,
            p.external_id,
            p.job_title,
            p.phone_number,
            p.location,
            p.status,
            p.manager.email if p.manager else None,
        )
        for p in people
    }


def active_emails(directory: Directory, *, google: bool) -> set[str]:
    return {p.email for p in directory.live() if p.enabled and not (google and p.archived)}


def test_graph_first_import_brings_every_active_user(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user)

    run = imported(source, admin_user)

    expected = active_emails(directory, google=False)
    assert len(expected) == 1900
    people = Person.objects.filter(source_link__source=source)
    assert set(people.values_list("email", flat=True)) == expected
    assert run.count_errors == 0
    assert set(people.values_list("status", flat=True)) == {"staged"}
    # Person 7 is disabled and has reports 43..48: they keep no manager, with a warning.
    report = Person.objects.get(email="person000043@example.com")
    assert report.manager_id is None
    assert report.source_link.warnings == [
        {
            "column": "Manager email",
            "message": "No one with the email person000007@example.com is in Roster or in "
            "this import. The manager was left empty.",
        }
    ]
    # Their own reports still report to them: nothing cascades.
    assert Person.objects.get(email="person000259@example.com").manager.email == (
        "person000043@example.com"
    )
    # "x3696" with a valid mobile: the mobile; "ext 8502" without one: empty, warned.
    assert Person.objects.get(email="person000053@example.com").phone_number == "+447700900053"
    free_text = Person.objects.get(email="person000028@example.com")
    assert free_text.phone_number == ""
    assert free_text.source_link.warnings[0]["column"] == "Phone number"
    # Only a mobile number; no mail (the UPN is used); no employee ID.
    assert Person.objects.get(email="person000005@example.com").phone_number == "+447700800005"
    assert Person.objects.filter(email="person000034@example.com").exists()
    assert Person.objects.get(email="person000009@example.com").external_id is None
    assert run.count_warnings == len(run.warnings) > 0
    assert {e["email"] for e in run.warnings} >= {"person000043@example.com"}


def test_google_first_import_brings_every_active_user(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user)

    run = imported(source, admin_user)

    expected = active_emails(directory, google=True)
    people = Person.objects.filter(source_link__source=source)
    assert len(expected) == 1880
    assert set(people.values_list("email", flat=True)) == expected
    assert run.count_errors == 0
    # Archived (11) is not imported as active; the "desk" placeholder is no location.
    assert not Person.objects.filter(email="person000011@example.com").exists()
    assert Person.objects.get(email="person000013@example.com").location == ""
    assert Person.objects.get(email="person000005@example.com").phone_number == "+447700800005"
    assert Person.objects.get(email="person000043@example.com").manager_id is None
    assert set(SourceLink.objects.values_list("external_key", flat=True)) == {
        str(10**20 + i) for i, p in enumerate(directory.people) if p.email in expected
    }


def change_round(directory: Directory) -> None:
    """Renames without employee ID, removed IDs and values, manager moves."""
    directory.update(9, email="renamed9@example.com")  # no employee ID; manages 55..60
    directory.update(10, employee_id="")
    directory.update(11, title="")
    directory.update(12, phone="ext 1234")
    directory.update(2, enabled=False)  # an imported manager with reports 13..18
    directory.update(7, enabled=True)  # the disabled manager of 43..48 comes back
    directory.update(25, email="renamed25@example.com", title="Lead")


def test_graph_delta_and_full_read_give_the_same_people(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user)
    imported(source, admin_user)
    renamed = Person.objects.get(email="person000009@example.com")

    change_round(directory)
    delta = idp_services.run_sync(source, by=admin_user)

    assert (delta.status, delta.is_incremental, delta.count_errors) == (
        SyncRun.Status.DONE,
        True,
        0,
    )
    after_delta = state(source)
    full = idp_services.run_sync(source, by=admin_user, full=True)
    assert (full.status, full.is_incremental) == (SyncRun.Status.DONE, False)
    assert full.count_new + full.count_updated + full.count_deactivated == 0, full.counts
    assert state(source) == after_delta
    # One person, renamed, reports still pointing at them; the audit says so.
    renamed.refresh_from_db()
    assert (renamed.email, renamed.status) == ("renamed9@example.com", "staged")
    assert not Person.objects.filter(email="person000009@example.com").exists()
    assert Person.objects.get(email="person000055@example.com").manager == renamed
    event = LifecycleEvent.objects.filter(person=renamed, action="updated").latest("id")
    assert event.changes["email"] == ["person000009@example.com", "renamed9@example.com"]
    ten = Person.objects.get(email="person000010@example.com")
    assert (ten.external_id, Person.objects.get(email="person000011@example.com").job_title) == (
        None,
        "",
    )
    assert Person.objects.get(email="person000012@example.com").phone_number == ""
    assert Person.objects.get(email="person000002@example.com").status == "deactivated"
    # The returning manager is created, and the delta re-planned their reports.
    seven = Person.objects.get(email="person000007@example.com")
    assert Person.objects.get(email="person000043@example.com").manager == seven
    assert Person.objects.get(email="person000043@example.com").source_link.warnings == []
    # No one is duplicated: one person per directory user.
    assert len(after_delta) == Person.objects.filter(source_link__source=source).count() == 1901


def test_google_change_round_keeps_one_person_per_user(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user)
    imported(source, admin_user)
    renamed = Person.objects.get(email="person000009@example.com")

    change_round(directory)
    directory.update(4, archived=True)
    run = idp_services.run_sync(source, by=admin_user)

    assert (run.status, run.count_errors) == (SyncRun.Status.DONE, 0)
    renamed.refresh_from_db()
    assert renamed.email == "renamed9@example.com"
    assert Person.objects.get(email="person000055@example.com").manager == renamed
    assert Person.objects.get(email="person000010@example.com").external_id is None
    assert Person.objects.get(email="person000004@example.com").status == "deactivated"
    assert Person.objects.get(email="person000043@example.com").manager.email == (
        "person000007@example.com"
    )
    again = idp_services.run_sync(source, by=admin_user)
    assert again.count_new + again.count_updated + again.count_deactivated == 0, again.counts
    assert Person.objects.filter(source_link__source=source).count() == 1881


def test_a_rejected_person_is_retried_by_the_next_delta(fake_graph, admin_user, directory):
    twenty = PersonFactory(email="person000020@example.com", external_id="OTHER-20")
    source = connect_entra(
        fake_graph, admin_user, scope_kind="managers", scope_values=["person000003@example.com"]
    )
    run = imported(source, admin_user)
    assert [e["email"] for e in run.errors] == ["person000020@example.com"]
    assert "OTHER-20" in run.errors[0]["message"]
    # Their reports are imported anyway, reporting to the person Roster holds.
    assert Person.objects.get(email="person000121@example.com").manager == twenty
    assert not SourceLink.objects.filter(person=twenty).exists()

    Person.objects.filter(external_id="OTHER-20").update(external_id="E000020")
    run = idp_services.run_sync(source, by=admin_user)

    assert (run.is_incremental, run.count_errors) == (True, 0)
    twenty.refresh_from_db()
    assert twenty.source_link.source == source
    assert twenty.source_link.external_key == "00000000-0000-4000-8000-000000000020"
    assert Person.objects.get(email="person000121@example.com").manager == twenty


def test_an_existing_person_with_a_bad_phone_still_gets_their_other_changes(
    fake_graph, admin_user, directory
):
    source = connect_entra(fake_graph, admin_user)
    imported(source, admin_user)

    directory.update(14, phone="x3696", title="Head of things")
    run = idp_services.run_sync(source, by=admin_user)

    person = Person.objects.get(email="person000014@example.com")
    assert (run.count_errors, person.job_title, person.phone_number) == (0, "Head of things", "")
    warned = {e["email"]: e["messages"] for e in run.warnings}
    assert warned["person000014@example.com"] == [
        "Phone number: “x3696” is not a valid phone number. It was left empty."
    ]


def test_warnings_show_on_the_run_page_and_the_person_page(fake_graph, admin_client, admin_user):
    source = connect_entra(fake_graph, admin_user)
    run = imported(source, admin_user)
    person = Person.objects.get(email="person000043@example.com")

    page = admin_client.get(reverse("admin:provisioning_syncrun_change", args=[run.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Warnings: imported, with these attributes left empty" in text
    assert "person000043@example.com" in text

    page = admin_client.get(reverse("admin:accounts_person_change", args=[person.pk]))
    text = page.content.decode()
    assert 'id="idp-state"' in text
    assert "No one with the email person000007@example.com is in Roster" in text
    assert "00000000-0000-4000-8000-000000000043" in text


def test_auditors_see_the_section_account_managers_do_not(fake_graph, admin_user, client, request):
    source = connect_entra(
        fake_graph, admin_user, scope_kind="managers", scope_values=["person000043@example.com"]
    )
    imported(source, admin_user)
    person = Person.objects.get(email="person000043@example.com")
    url = reverse("admin:accounts_person_change", args=[person.pk])

    client.force_login(request.getfixturevalue("auditor"))
    assert 'id="idp-state"' in client.get(url).content.decode()
    client.force_login(request.getfixturevalue("account_manager"))
    assert 'id="idp-state"' not in client.get(url).content.decode()
