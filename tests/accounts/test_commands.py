from __future__ import annotations

import json
from io import StringIO

import phonenumbers
import pytest
from django.core.management import CommandError, call_command

from accounts.models import Invitation, LifecycleEvent, Person
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


def snapshot() -> tuple[list, int]:
    people = list(Person.objects.order_by("pk").values_list("pk", "email", "status", "version"))
    return people, LifecycleEvent.objects.count()


# --- add_person ---------------------------------------------------------------


def test_add_person_creates_a_manual_person_under_their_manager():
    boss = PersonFactory(email="boss@example.com")
    out = run(
        "add_person",
        "ada@Example.com",
        "--first-name=Ada",
        "--last-name=Lovelace",
        "--manager=BOSS@example.com",
        "--job-title=Analyst",
        "--department=Engineering",
        "--phone=020 7946 0018",
        "--location=London",
        "--external-id=E-1",
    )
    ada = Person.objects.get(email="ada@example.com")
    assert out == f"Added Ada Lovelace <ada@example.com> (#{ada.pk}), Awaiting invitation.\n"
    assert ada.manager == boss
    assert ada.source == "manual"
    assert ada.phone_number == "+442079460018"
    assert ada.external_id == "E-1"
    event = LifecycleEvent.objects.get(person=ada)
    assert (event.action, event.actor_kind, event.actor_label) == (
        "created",
        "cli",
        "Command line",
    )


def test_add_person_json_prints_the_person():
    data = run_json("add_person", "grace@example.com", "--full-name=Grace Hopper")
    grace = Person.objects.get(email="grace@example.com")
    assert data == {
        "id": grace.pk,
        "email": "grace@example.com",
        "full_name": "Grace Hopper",
        "first_name": "",
        "last_name": "",
        "external_id": None,
        "manager": None,
        "job_title": "",
        "department": "",
        "phone_number": "",
        "location": "",
        "status": "staged",
        "source": "manual",
    }


def test_add_person_with_a_taken_email_is_refused_and_nothing_changes():
    PersonFactory(email="ada@example.com")
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        run("add_person", "ADA@example.com")
    assert str(exc.value) == "email: Another person already has the email ADA@example.com."
    assert snapshot() == before


def test_add_person_with_an_unknown_manager_is_refused_and_nothing_changes():
    with pytest.raises(CommandError) as exc:
        run("add_person", "ada@example.com", "--manager=ghost@example.com")
    assert str(exc.value) == "--manager: no person has the email ghost@example.com."
    assert snapshot() == ([], 0)


def test_add_person_as_an_auditor_is_refused_and_nothing_changes(auditor):
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        run("add_person", "ada@example.com", "--as=auditor@example.com")
    assert str(exc.value) == "Your role does not allow this action."
    assert snapshot() == before


def test_add_person_as_an_account_manager_is_audited_as_them(account_manager):
    run("add_person", "ada@example.com", "--as=Manager@Example.com")
    event = LifecycleEvent.objects.get(person__email="ada@example.com")
    assert event.actor == account_manager
    assert event.actor_kind == "person"


def test_acting_as_an_unknown_email_is_refused():
    with pytest.raises(CommandError) as exc:
        run("add_person", "ada@example.com", "--as=nobody@example.com")
    assert str(exc.value) == "--as: no person has the email nobody@example.com."
    assert snapshot() == ([], 0)


# --- deactivate, reactivate, delete ----------------------------------------------


def test_deactivate_person_reports_each_person_done_or_skipped():
    PersonFactory(claimed=True, email="ada@example.com", full_name="Ada Lovelace")
    PersonFactory(email="bob@example.com", full_name="Bob Jones", status="deactivated")
    out = run("deactivate_person", "ADA@example.com", "bob@example.com", "--reason=Left")
    assert out == (
        "Deactivated: Ada Lovelace <ada@example.com>\n"
        "Skipped: Bob Jones <bob@example.com>: Bob Jones is already deactivated.\n"
        "Deactivated 1, skipped 1.\n"
    )
    ada = Person.objects.get(email="ada@example.com")
    assert ada.status == "deactivated"
    assert LifecycleEvent.objects.get(person=ada, action="deactivated").reason == "Left"


def test_deactivate_person_json_lists_done_and_skipped():
    ada = PersonFactory(claimed=True, email="ada@example.com")
    bob = PersonFactory(email="bob@example.com", full_name="Bob Jones", status="deactivated")
    data = run_json("deactivate_person", "ada@example.com", "bob@example.com", "ada@example.com")
    assert data == {
        "done": [{"id": ada.pk, "email": "ada@example.com"}],
        "skipped": [
            {
                "id": bob.pk,
                "email": "bob@example.com",
                "reason": "Bob Jones is already deactivated.",
            }
        ],
    }


def test_deactivate_person_with_an_unknown_email_changes_nothing():
    PersonFactory(claimed=True, email="ada@example.com")
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        run("deactivate_person", "ada@example.com", "ghost@example.com", "x@example.com")
    assert str(exc.value) == (
        "No person has the emails ghost@example.com, x@example.com. Nothing was changed."
    )
    assert snapshot() == before


def test_deactivate_person_as_an_auditor_is_refused_and_nothing_changes(auditor):
    PersonFactory(claimed=True, email="ada@example.com")
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        run("deactivate_person", "ada@example.com", "--as=auditor@example.com")
    assert str(exc.value) == "Your role does not allow this action."
    assert snapshot() == before


def test_reactivate_person_restores_claimed_people_to_active():
    ada = PersonFactory(
        claimed=True, email="ada@example.com", status="deactivated", is_active=False
    )
    bob = PersonFactory(email="bob@example.com", full_name="Bob Jones")
    data = run_json("reactivate_person", "ada@example.com", "bob@example.com")
    assert data == {
        "done": [{"id": ada.pk, "email": "ada@example.com"}],
        "skipped": [
            {"id": bob.pk, "email": "bob@example.com", "reason": "Bob Jones is not deactivated."}
        ],
    }
    ada.refresh_from_db()
    assert (ada.status, ada.is_active) == ("active", True)


def test_delete_person_deletes_the_unclaimed_and_skips_the_claimed():
    staged = PersonFactory(email="new@example.com", full_name="New Starter")
    PersonFactory(claimed=True, email="ada@example.com", full_name="Ada Lovelace")
    out = run("delete_person", "new@example.com", "ada@example.com")
    assert out == (
        "Deleted: New Starter <new@example.com>\n"
        "Skipped: Ada Lovelace <ada@example.com>: Ada Lovelace has claimed their account, "
        "so it cannot be deleted. Deactivate it instead.\n"
        "Deleted 1, skipped 1.\n"
    )
    assert list(Person.objects.values_list("email", flat=True)) == ["ada@example.com"]
    tombstone = LifecycleEvent.objects.get(action="deleted")
    assert tombstone.person_ref == staged.pk
    assert tombstone.subject == f"Deleted person #{staged.pk}"


def test_delete_person_as_an_account_manager_without_rights_is_refused(auditor):
    PersonFactory(email="new@example.com")
    before = snapshot()
    with pytest.raises(CommandError):
        run("delete_person", "new@example.com", "--as=auditor@example.com")
    assert snapshot() == before


# --- list_people --------------------------------------------------------------------


def test_list_people_prints_a_table_filtered_by_status_and_department():
    boss = PersonFactory(
        claimed=True,
        email="boss@example.com",
        full_name="Ann Boss",
        department="Sales",
        job_title="Head",
    )
    PersonFactory(
        claimed=True,
        email="ada@example.com",
        full_name="Ada Lovelace",
        department="Sales",
        job_title="Rep",
        manager=boss,
    )
    PersonFactory(email="staged@example.com", department="Sales")
    PersonFactory(claimed=True, email="eng@example.com", department="Engineering")
    out = run("list_people", "--status=active", "--department=Sales")
    assert out.splitlines() == [
        "Name          Email             Status  Department  Job title  Manager",
        "Ada Lovelace  ada@example.com   Active  Sales       Rep        boss@example.com",
        "Ann Boss      boss@example.com  Active  Sales       Head",
        "Showing 2 of 2 people.",
    ]


def test_list_people_json_counts_all_and_shows_up_to_the_limit():
    for n in range(3):
        PersonFactory(email=f"p{n}@example.com", full_name=f"Person {n}")
    data = run_json("list_people", "--search=person", "--limit=2")
    assert data["count"] == 3
    assert [p["email"] for p in data["people"]] == ["p0@example.com", "p1@example.com"]


def test_list_people_is_open_to_auditors_but_not_to_people_without_a_role(auditor):
    PersonFactory(claimed=True, email="ada@example.com")
    assert run_json("list_people", "--as=auditor@example.com")["count"] == 2
    with pytest.raises(CommandError) as exc:
        run("list_people", "--as=ada@example.com")
    assert str(exc.value) == "Your role does not allow this action."


# --- seed_demo ----------------------------------------------------------------------


def test_seed_demo_creates_an_organisation_with_one_management_tree():
    out = run("seed_demo", "--people=120", "--seed=7")
    assert out == "Created 120 demo people under @northwind.example.\n"
    people = {p.pk: p for p in Person.objects.all()}
    assert len(people) == 120
    roots = [p for p in people.values() if p.manager_id is None]
    assert [r.job_title for r in roots] == ["Chief Executive Officer"]
    depth = {}
    for person in people.values():
        seen, current, steps = set(), person, 0
        while current.manager_id is not None:
            assert current.pk not in seen  # no cycle
            seen.add(current.pk)
            current = people[current.manager_id]
            steps += 1
        assert current == roots[0]
        depth[person.pk] = steps
    assert max(depth.values()) >= 3
    assert all(p.email.endswith("@northwind.example") for p in people.values())
    assert len({p.department for p in people.values()}) == 11
    assert {p.status for p in people.values()} == set(Person.Status.values)
    assert {p.source for p in people.values()} >= {"google", "spreadsheet", "entra", "manual"}
    for person in people.values():
        assert person.is_active == (person.status == "active")
        assert not person.has_usable_password()
        if person.phone_number:
            assert phonenumbers.is_valid_number(phonenumbers.parse(person.phone_number))
            assert phonenumbers.region_code_for_number(phonenumbers.parse(person.phone_number)) == (
                "GB"
            )
    invited = {p.pk for p in people.values() if p.status == "invited"}
    invitations = Invitation.objects.all()
    assert {i.person_id for i in invitations} == invited
    assert len(invitations) == len(invited)
    assert {(i.status, i.invited_by_label) for i in invitations} == {("sent", "Demo data")}
    events = LifecycleEvent.objects.filter(action="created", person__isnull=False)
    assert events.count() == 120
    assert set(events.values_list("actor_label", "actor_kind")) == {("Demo data", "cli")}
    report = next(p for p in people.values() if p.manager_id)
    event = events.get(person=report)
    assert event.changes["manager"] == [None, people[report.manager_id].email]


def test_seed_demo_twice_adds_no_one_the_second_time():
    assert run_json("seed_demo", "--people=15") == {
        "created": 15,
        "existing": 0,
        "domain": "northwind.example",
    }
    assert run("seed_demo", "--people=15") == (
        "Demo data exists already (15 people under @northwind.example); nothing was added.\n"
    )
    assert Person.objects.count() == 15
    assert run_json("seed_demo", "--people=5", "--domain=other.example")["created"] == 5


def test_seed_demo_publishes_the_created_people(django_capture_on_commit_callbacks):
    from accounts.signals import person_changed

    received = []

    def receiver(sender, person_ids, action, **kwargs):
        received.append((sorted(person_ids), action))

    person_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run("seed_demo", "--people=12")
    finally:
        person_changed.disconnect(receiver)
    assert received == [(sorted(Person.objects.values_list("pk", flat=True)), "created")]


def test_seed_demo_as_an_auditor_is_refused_and_nothing_changes(auditor):
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        run("seed_demo", "--people=10", "--as=auditor@example.com")
    assert str(exc.value) == "Your role does not allow this action."
    assert snapshot() == before


def test_seed_demo_refuses_a_domain_outside_the_allow_list():
    AllowedDomainFactory(domain="example.com")
    with pytest.raises(CommandError) as exc:
        run("seed_demo", "--people=10")
    assert str(exc.value) == (
        "email: The domain northwind.example is not one of the organisation's allowed "
        "email domains."
    )
    assert snapshot() == ([], 0)


# --- ensure_admin -------------------------------------------------------------------


def test_ensure_admin_creates_one_administrator_and_shows_the_password_once():
    data = run_json("ensure_admin")
    admin = Person.objects.get()
    assert data == {"created": True, "email": "admin@roster.example", "password": data["password"]}
    assert len(data["password"]) == 16
    assert admin.check_password(data["password"])
    assert (admin.role, admin.status, admin.is_superuser) == ("admin", "active", True)

    out = run("ensure_admin")
    assert out == (
        "A System administrator exists already: admin@roster.example.\n"
        "To set a new password for them, run: manage.py changepassword admin@roster.example\n"
    )
    assert data["password"] not in out
    assert run_json("ensure_admin") == {"created": False, "email": "admin@roster.example"}
    assert Person.objects.count() == 1


def test_ensure_admin_human_output_names_the_chosen_email():
    out = run("ensure_admin", "--email=it@example.com")
    password = Person.objects.get(email="it@example.com")
    lines = out.splitlines()
    assert lines[:2] == ["Created a System administrator.", "  Email:    it@example.com"]
    assert lines[2].startswith("  Password: ")
    assert password.check_password(lines[2].removeprefix("  Password: "))
    assert lines[3] == "The password is shown only this once."


def test_seed_demo_brings_groups_whose_members_follow_their_rules():
    from accounts.models import Group

    run("seed_demo", "--people=120", "--seed=7")
    groups = {g.name: g for g in Group.objects.all()}
    assert set(groups) == {"Engineering", "Sales", "London office", "Leadership team"}
    engineering = set(groups["Engineering"].members.values_list("pk", flat=True))
    assert engineering == set(
        Person.objects.filter(department="Engineering").values_list("pk", flat=True)
    )
    assert engineering  # the demo organisation always has engineers
    leaders = groups["Leadership team"].members.all()
    assert groups["Leadership team"].kind == Group.Kind.STATIC
    assert sorted(p.job_title for p in leaders)[0] == "Chief Executive Officer"
    assert all(p.manager_id is None or p.manager.manager_id is None for p in leaders)
    # A second organisation under another domain adds people but no second set of groups.
    run("seed_demo", "--people=5", "--domain=other.example")
    assert Group.objects.count() == 4
