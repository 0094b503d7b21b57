"""Creating and updating people, their passwords and admin roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.exceptions import IllegalTransition, InvalidPerson
from accounts.jobs import task
from accounts.models import LifecycleEvent, Person
from accounts.roles import Role
from accounts.services.attributes import (
    ATTRIBUTES,
    audit_value,
    clean_attributes,
    save_or_explain,
)
from accounts.services.events import publish, record_event
from accounts.services.permissions import Actorish, require, require_may_change


def lock_person(person: Person) -> Person:
    """Return ``person`` re-read and locked (``SELECT … FOR UPDATE``) until the transaction ends."""
    return Person.objects.select_for_update().get(pk=person.pk)


@transaction.atomic
def create_person(
    *,
    email: str,
    by: Actorish,
    first_name: str = "",
    last_name: str = "",
    full_name: str = "",
    external_id: str | None = None,
    manager: Person | None = None,
    job_title: str = "",
    department: str = "",
    phone_number: str = "",
    location: str = "",
    start_date: date | str | None = None,
    source: str = Person.Source.MANUAL,
    user_name: str | None = None,
    phone_number_given: str = "",
) -> Person:
    """Create a person awaiting invitation; audit it and publish ``person_changed``.

    ``user_name`` is SCIM's userName when it differs from the email;
    ``phone_number_given`` is a number as an identity provider sent it,
    parsed leniently (kept as given, unverified, when it cannot be parsed).
    Raises InvalidPerson (with every field's problem) or NotAllowed.
    """
    require(by, "accounts.add_person")
    given = {"phone_number_given": phone_number_given} if phone_number_given else {}
    values = clean_attributes(
        {
            **given,
            "user_name": user_name,
            "email": email,
            "external_id": external_id,
            "first_name": first_name,
            "last_name": last_name,
            "full_name": full_name,
            "manager": manager,
            "job_title": job_title,
            "department": department,
            "phone_number": phone_number,
            "location": location,
            "start_date": start_date,
        }
    )
    if not values["full_name"]:
        values["full_name"] = f"{values['first_name']} {values['last_name']}".strip()
    person = Person(**values, source=source, status=Person.Status.STAGED, is_active=False)
    person.set_unusable_password()
    save_or_explain(person, force_insert=True)
    record_event(
        person,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes={
            name: [None, audit_value(name, getattr(person, name))]
            for name in ATTRIBUTES
            if getattr(person, name) not in ("", None)
        },
    )
    publish([person.pk], LifecycleEvent.Action.CREATED)
    return person


@transaction.atomic
def update_person(person: Person, *, by: Actorish, **changes: Any) -> Person:
    """Change a person's attributes; a change that alters nothing writes nothing.

    Keeps ``full_name`` in step with first and last names unless it was edited
    by hand. Raises InvalidPerson or NotAllowed.
    """
    require(by, "accounts.change_person")
    unknown = set(changes) - set(ATTRIBUTES)
    if unknown:
        raise InvalidPerson(dict.fromkeys(unknown, "This attribute cannot be changed."))
    person = lock_person(person)
    require_may_change(person, by=by)
    values = clean_attributes(changes, person=person)
    auto_full = f"{person.first_name} {person.last_name}".strip()
    if (
        ("first_name" in values or "last_name" in values)
        and "full_name" not in changes
        and person.full_name == auto_full
    ):
        first = values.get("first_name", person.first_name)
        last = values.get("last_name", person.last_name)
        values["full_name"] = f"{first} {last}".strip()
    if "full_name" in values and not values["full_name"]:
        first = values.get("first_name", person.first_name)
        last = values.get("last_name", person.last_name)
        values["full_name"] = f"{first} {last}".strip()
    diff = {
        name: [audit_value(name, getattr(person, name)), audit_value(name, value)]
        for name, value in values.items()
        if getattr(person, name) != value
    }
    if not diff:
        return person
    for name in diff:
        setattr(person, name, values[name])
    person.version += 1
    fields = [("manager_id" if n == "manager" else n) for n in diff]
    save_or_explain(person, update_fields=[*fields, "version", "updated_at"])
    record_event(person, LifecycleEvent.Action.UPDATED, by=by, changes=diff)
    publish([person.pk], LifecycleEvent.Action.UPDATED)
    if "email" in diff:
        notify_email_changes([(person.pk, diff["email"][0], diff["email"][1])])
    return person


def notify_email_changes(changes: Iterable[tuple[int, str, str]]) -> None:
    """Tell each old address, once the transaction commits, that its email changed.

    ``changes`` holds (person id, old email, new email). The notice lets the
    owner of the old address spot a change they did not ask for.
    """
    notify_email_changed_task = task("accounts.tasks.notify_email_changed_task")

    for person_id, old, new in changes:
        transaction.on_commit(partial(notify_email_changed_task.delay, person_id, old, new))


@transaction.atomic
def set_password(person: Person, *, password: str, by: Actorish) -> Person:
    """Set a person's password (validated elsewhere) and audit that it happened.

    Raises StaffProtected when ``by`` may not change this person (a staff member).
    """
    person = lock_person(person)
    require_may_change(person, by=by)
    person.set_password(password)
    person.save(update_fields=["password", "updated_at"])
    record_event(person, LifecycleEvent.Action.PASSWORD_SET, by=by)
    return person


@transaction.atomic
def set_role(person: Person, *, role: str, by: Actorish) -> Person:
    """Give a person an admin role (or none). Only System administrators may."""
    require(by, "accounts.change_role")
    if role not in Role.values:
        raise InvalidPerson({"role": f"“{role}” is not a role."})
    person = lock_person(person)
    if person.role == role:
        return person
    if isinstance(by, Person) and by.pk == person.pk and role != Role.ADMIN:
        raise IllegalTransition("You cannot remove your own administrator role.")
    before = person.role
    person.role = role
    person.version += 1
    person.save(update_fields=["role", "version", "updated_at"])
    record_event(
        person, LifecycleEvent.Action.ROLE_CHANGED, by=by, changes={"role": [before, role]}
    )
    publish([person.pk], LifecycleEvent.Action.ROLE_CHANGED)
    return person


@transaction.atomic
def create_administrator(
    *, email: str, password: str | None, by: Actorish, **attributes: Any
) -> Person:
    """Create an active System administrator who can sign in at once."""
    person = create_person(email=email, by=by, **attributes)
    person.status = Person.Status.ACTIVE
    person.is_active = True
    person.claimed_at = timezone.now()
    person.role = Role.ADMIN
    if password:
        person.set_password(password)
    person.version += 1
    person.save(update_fields=["status", "is_active", "claimed_at", "role", "password", "version"])
    record_event(
        person,
        LifecycleEvent.Action.ROLE_CHANGED,
        by=by,
        changes={"role": ["", Role.ADMIN.value], "status": ["staged", "active"]},
    )
    return person
