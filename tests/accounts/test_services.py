from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts import services
from accounts.exceptions import CannotDeleteClaimed, IllegalTransition, InvalidPerson, NotAllowed
from accounts.models import LifecycleEvent, Person
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_create_person_defaults_full_name_normalises_phone_and_audits(
    admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person = services.create_person(
            email="Ada@Example.COM",
            first_name="Ada",
            last_name="Lovelace",
            phone_number="020 7946 0018",
            by=admin_user,
        )
    person.refresh_from_db()
    assert person.email == "Ada@example.com"
    assert person.full_name == "Ada Lovelace"
    assert person.phone_number == "+442079460018"
    assert person.phone_display == "+44 20 7946 0018"
    assert person.status == Person.Status.STAGED
    assert person.is_active is False
    assert person.version == 1
    event = LifecycleEvent.objects.get(person=person)
    assert event.action == "created"
    assert event.actor == admin_user
    assert event.changes["email"] == [None, "Ada@example.com"]
    assert len(callbacks) == 1


def test_duplicate_email_differing_in_case_is_refused_and_nothing_written(admin_user):
    services.create_person(email="ada@example.com", by=admin_user)
    with pytest.raises(InvalidPerson) as exc:
        services.create_person(email="ADA@example.com", by=admin_user)
    assert exc.value.errors == {"email": "Another person already has the email ADA@example.com."}
    assert Person.objects.filter(email__iexact="ada@example.com").count() == 1


def test_database_refuses_case_insensitive_duplicate_even_bypassing_services(db):
    PersonFactory(email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(email="BOB@example.com")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "“not-an-email” is not a valid email address."),
        ("phone_number", "12", "“12” is not a valid phone number."),
        ("phone_number", "call me", "“call me” is not a phone number."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin_user, field, value, message):
    data = {"email": "new@example.com", field: value}
    before = Person.objects.count()
    with pytest.raises(InvalidPerson) as exc:
        services.create_person(by=admin_user, **data)
    assert exc.value.errors[field] == message
    assert Person.objects.count() == before
    assert not LifecycleEvent.objects.filter(action="created").exists()


def test_email_outside_allowed_domains_is_refused(admin_user):
    AllowedDomainFactory(domain="example.com")
    with pytest.raises(InvalidPerson) as exc:
        services.create_person(email="eve@elsewhere.org", by=admin_user)
    assert exc.value.errors["email"] == (
        "The domain elsewhere.org is not one of the organisation's allowed email domains."
    )
    assert not Person.objects.filter(email="eve@elsewhere.org").exists()


def test_self_manager_and_cycle_are_refused(admin_user):
    a = services.create_person(email="a@example.com", full_name="Alice A", by=admin_user)
    b = services.create_person(email="b@example.com", full_name="Bob B", manager=a, by=admin_user)
    with pytest.raises(InvalidPerson) as exc:
        services.update_person(a, manager=a, by=admin_user)
    assert exc.value.errors["manager"] == "A person cannot be their own manager."
    with pytest.raises(InvalidPerson) as exc:
        services.update_person(a, manager=b, by=admin_user)
    assert "already reports to this person" in exc.value.errors["manager"]
    a.refresh_from_db()
    assert a.manager_id is None
    assert a.version == 1


def test_update_records_field_level_diff_and_bumps_version(admin_user):
    person = services.create_person(
        email="c@example.com", first_name="Cat", last_name="Cole", by=admin_user
    )
    services.update_person(person, first_name="Catherine", department="Sales", by=admin_user)
    person.refresh_from_db()
    assert person.full_name == "Catherine Cole"
    assert person.version == 2
    event = LifecycleEvent.objects.filter(person=person, action="updated").get()
    assert event.changes == {
        "first_name": ["Cat", "Catherine"],
        "department": ["", "Sales"],
        "full_name": ["Cat Cole", "Catherine Cole"],
    }


def test_update_that_changes_nothing_writes_nothing(admin_user, person):
    services.update_person(person, department=person.department, by=admin_user)
    person.refresh_from_db()
    assert person.version == 1
    assert not LifecycleEvent.objects.filter(person=person).exists()


def test_deactivate_then_reactivate_returns_unclaimed_person_to_awaiting(admin_user, person):
    services.deactivate_person(person, by=admin_user, reason="left")
    person.refresh_from_db()
    assert (person.status, person.is_active, person.version) == ("deactivated", False, 2)
    with pytest.raises(IllegalTransition):
        services.deactivate_person(person, by=admin_user)
    services.reactivate_person(person, by=admin_user)
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED


def test_reactivated_claimed_person_is_active_again(admin_user):
    person = PersonFactory(claimed=True)
    services.deactivate_person(person, by=admin_user)
    services.reactivate_person(person, by=admin_user)
    person.refresh_from_db()
    assert person.status == Person.Status.ACTIVE
    assert person.is_active is True


def test_delete_claimed_person_is_refused(admin_user):
    person = PersonFactory(claimed=True)
    with pytest.raises(CannotDeleteClaimed) as exc:
        services.delete_person(person, by=admin_user)
    assert "Deactivate it instead" in exc.value.message
    assert Person.objects.filter(pk=person.pk).exists()


def test_delete_leaves_tombstone_without_personal_data(admin_user):
    boss = services.create_person(email="boss@example.com", full_name="Big Boss", by=admin_user)
    report = services.create_person(email="r@example.com", manager=boss, by=admin_user)
    pk = services.delete_person(boss, by=admin_user)
    assert not Person.objects.filter(pk=pk).exists()
    report.refresh_from_db()
    assert report.manager is None
    events = LifecycleEvent.objects.filter(person_ref=pk)
    assert {e.action for e in events} == {"created", "deleted"}
    for event in events:
        assert "boss@example.com" not in str(event.changes)
        assert event.subject == f"Deleted person #{pk}"


@pytest.mark.parametrize("role_fixture", ["auditor", "account_manager"])
def test_roles_without_capability_cannot_change_roles(request, role_fixture, person):
    actor = request.getfixturevalue(role_fixture)
    with pytest.raises(NotAllowed):
        services.set_role(person, role="admin", by=actor)
    person.refresh_from_db()
    assert person.role == ""


def test_auditor_cannot_write_anything(auditor, person):
    with pytest.raises(NotAllowed):
        services.create_person(email="x@example.com", by=auditor)
    with pytest.raises(NotAllowed):
        services.update_person(person, department="X", by=auditor)
    with pytest.raises(NotAllowed):
        services.deactivate_person(person, by=auditor)
    with pytest.raises(NotAllowed):
        services.delete_person(person, by=auditor)
    assert Person.objects.count() == 2
    assert not LifecycleEvent.objects.exists()


def test_person_changed_is_published_after_commit_with_ids(admin_user, person):
    from accounts.signals import person_changed

    received = []

    def receiver(sender, person_ids, action, **kwargs):
        received.append((person_ids, action))

    person_changed.connect(receiver)
    try:
        with transaction.atomic():
            services.deactivate_person(person, by=admin_user)
            assert received == []
    finally:
        person_changed.disconnect(receiver)
    # pytest-django wraps the test in a transaction: commit callbacks run
    # only when captured explicitly.


def test_person_changed_runs_on_commit(admin_user, person, django_capture_on_commit_callbacks):
    from accounts.signals import person_changed

    received = []

    def receiver(sender, person_ids, action, **kwargs):
        received.append((person_ids, action))

    person_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.deactivate_person(person, by=admin_user)
    finally:
        person_changed.disconnect(receiver)
    assert received == [([person.pk], "deactivated")]
