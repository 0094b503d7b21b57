"""Every write to a person goes through here: validated, locked, audited, published."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor, describe
from accounts.exceptions import (
    CannotDeleteClaimed,
    IllegalTransition,
    InvalidPerson,
    NotAllowed,
    StaffProtected,
)
from accounts.jobs import task
from accounts.models import AllowedDomain, LifecycleEvent, Person, new_security_stamp
from accounts.phones import InvalidPhoneNumber, normalise_phone
from accounts.roles import Role, role_has_capability
from accounts.selectors import people_with_email
from accounts.signals import person_changed, person_deactivating

Actorish = Person | Actor

# The attributes a person carries, in display order.
ATTRIBUTES = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager",
    "job_title",
    "department",
    "phone_number",
    "location",
)
MAX_MANAGER_DEPTH = 10_000
# Actors that act for an operator at the server's shell, or for Roster's own
# steps (a claim, a self-service link): they may change staff. Imports,
# identity providers and SCIM clients may not.
TRUSTED_ACTOR_KINDS = frozenset({"cli", "system"})


# --- helpers ----------------------------------------------------------------


def require(by: Actorish, capability: str) -> None:
    """Raise NotAllowed unless ``by`` holds ``capability``."""
    role = by.role if isinstance(by, Actor) else (by.role if by.is_active else Role.NONE)
    if not role_has_capability(role, capability):
        raise NotAllowed("Your role does not allow this action.")


def staff_protection(person: Person, *, by: Actorish) -> str | None:
    """Return why ``by`` may not change ``person``, who holds a staff role; else None.

    Only a System administrator changes the email, password, status or
    profile of a System administrator, Account manager or Auditor; people
    may change their own profile. Imports, identity-provider syncs and SCIM
    clients never change staff, so a directory cannot take over an
    administrator's account.
    """
    if person.role == Role.NONE:
        return None
    role = Role(person.role).label
    if isinstance(by, Actor):
        if by.kind in TRUSTED_ACTOR_KINDS:
            return None
        return (
            f"{person} holds the {role} role in Roster, so {by.label} may not change or "
            "deactivate them. A System administrator can, in Roster."
        )
    if by.pk == person.pk or (by.is_active and by.role == Role.ADMIN):
        return None
    return f"{person} holds the {role} role; only a System administrator may change them."


def require_may_change(person: Person, *, by: Actorish) -> None:
    """Raise StaffProtected unless ``by`` may change ``person`` (see staff_protection)."""
    reason = staff_protection(person, by=by)
    if reason:
        raise StaffProtected(reason)


def record_event(
    person: Person | None,
    action: str,
    *,
    by: Actorish,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    subject: str | None = None,
    person_ref: int | None = None,
    subject_kind: str = LifecycleEvent.SubjectKind.PERSON,
) -> LifecycleEvent:
    """Write one audit row in the caller's transaction."""
    kind, label, actor_person = describe(by)
    return LifecycleEvent.objects.create(
        person=person,
        person_ref=person.pk if person else person_ref,
        subject=subject if subject is not None else (str(person) if person else ""),
        subject_kind=subject_kind,
        action=action,
        actor=actor_person,
        actor_kind=kind,
        actor_label=label,
        changes=changes or {},
        reason=reason,
    )


def publish(person_ids: Iterable[int], action: str) -> None:
    """Send ``person_changed`` once the current transaction commits."""
    ids = list(person_ids)
    if ids:
        transaction.on_commit(
            partial(person_changed.send, sender=Person, person_ids=ids, action=action)
        )


def _locked(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def _audit_value(name: str, value: Any) -> Any:
    if name == "manager":
        return value.email if value is not None else None
    return value


def email_domain_allowed(email: str) -> bool:
    """Tell whether ``email``'s domain is on the allow-list (an empty list allows all)."""
    domains = AllowedDomain.objects.values_list("domain", flat=True)
    if not domains.exists():
        return True
    return domains.filter(domain=email.rpartition("@")[2].lower()).exists()


def _normalise_email(raw: str) -> str:
    local, _, domain = (raw or "").strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else (raw or "").strip()


MANAGER_GRAPH_LOCK = 7_301_001


def lock_manager_graph() -> None:
    """Serialise changes to reporting lines until the transaction ends.

    A cycle cannot be a row constraint: two transactions could each add one
    edge of it. On PostgreSQL an advisory lock makes the check-then-write
    safe; SQLite already serialises writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MANAGER_GRAPH_LOCK])


def _check_manager(person_pk: int | None, manager: Person | None) -> str | None:
    if manager is None:
        return None
    lock_manager_graph()
    if person_pk is not None and manager.pk == person_pk:
        return "A person cannot be their own manager."
    if person_pk is None:
        return None
    current = manager.manager_id
    for _ in range(MAX_MANAGER_DEPTH):
        if current is None:
            return None
        if current == person_pk:
            return (
                f"{manager} already reports to this person (directly or indirectly), "
                "so they cannot be this person's manager."
            )
        current = Person.objects.filter(pk=current).values_list("manager_id", flat=True).first()
    return "The management chain is too deep."


def clean_attributes(data: dict[str, Any], *, person: Person | None = None) -> dict[str, Any]:
    """Validate and normalise person attributes; raise InvalidPerson listing every problem.

    ``data`` holds only the attributes being set. Returns the normalised values.
    """
    errors: dict[str, str] = {}
    clean = dict(data)
    pk = person.pk if person else None
    if "email" in clean:
        email = _normalise_email(clean["email"])
        clean["email"] = email
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = f"“{email}” is not a valid email address."
        else:
            if not email_domain_allowed(email):
                errors["email"] = (
                    f"The domain {email.rpartition('@')[2]} is not one of the organisation's "
                    "allowed email domains."
                )
            elif people_with_email(email).exclude(pk=pk).exists():
                errors["email"] = f"Another person already has the email {email}."
    if "external_id" in clean:
        ext = (clean["external_id"] or "").strip() or None
        clean["external_id"] = ext
        if ext and Person.objects.filter(external_id=ext).exclude(pk=pk).exists():
            errors["external_id"] = f"Another person already has the external ID {ext}."
    if "phone_number" in clean:
        try:
            clean["phone_number"] = normalise_phone(clean["phone_number"])
        except InvalidPhoneNumber as exc:
            errors["phone_number"] = str(exc)
    if "manager" in clean:
        problem = _check_manager(pk, clean["manager"])
        if problem:
            errors["manager"] = problem
    for name in ("first_name", "last_name", "full_name", "job_title", "department", "location"):
        if name in clean:
            clean[name] = (clean[name] or "").strip()
    if errors:
        raise InvalidPerson(errors)
    return clean


def _save_or_explain(person: Person, **kwargs: Any) -> None:
    # A concurrent writer may take the same email between the check and the
    # write; the database constraint decides, and the person gets a message.
    try:
        with transaction.atomic():
            person.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        if "email" in text:
            raise InvalidPerson({"email": "Another person already has this email."}) from exc
        if "external_id" in text:
            raise InvalidPerson(
                {"external_id": "Another person already has this external ID."}
            ) from exc
        raise


# --- people -----------------------------------------------------------------


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
    source: str = Person.Source.MANUAL,
) -> Person:
    """Create a person awaiting invitation; audit it and publish ``person_changed``.

    Raises InvalidPerson (with every field's problem) or NotAllowed.
    """
    require(by, "accounts.add_person")
    values = clean_attributes(
        {
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
        }
    )
    if not values["full_name"]:
        values["full_name"] = f"{values['first_name']} {values['last_name']}".strip()
    person = Person(**values, source=source, status=Person.Status.STAGED, is_active=False)
    person.set_unusable_password()
    _save_or_explain(person, force_insert=True)
    record_event(
        person,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes={
            name: [None, _audit_value(name, getattr(person, name))]
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
    person = _locked(person)
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
        name: [_audit_value(name, getattr(person, name)), _audit_value(name, value)]
        for name, value in values.items()
        if getattr(person, name) != value
    }
    if not diff:
        return person
    for name in diff:
        setattr(person, name, values[name])
    person.version += 1
    fields = [("manager_id" if n == "manager" else n) for n in diff]
    _save_or_explain(person, update_fields=[*fields, "version", "updated_at"])
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
def deactivate_person(person: Person, *, by: Actorish, reason: str = "") -> Person:
    """Deactivate a person: end their sessions and publish the change.

    Raises IllegalTransition if already deactivated, NotAllowed for the wrong role.
    """
    require(by, "accounts.deactivate_person")
    person = _locked(person)
    if person.status == Person.Status.DEACTIVATED:
        raise IllegalTransition(f"{person} is already deactivated.")
    if isinstance(by, Person) and by.pk == person.pk:
        raise IllegalTransition("You cannot deactivate your own account.")
    require_may_change(person, by=by)
    before = person.status
    person.status = Person.Status.DEACTIVATED
    person.is_active = False
    person.deactivated_at = timezone.now()
    person.security_stamp = new_security_stamp()
    person.version += 1
    person.save(
        update_fields=[
            "status",
            "is_active",
            "deactivated_at",
            "security_stamp",
            "version",
            "updated_at",
        ]
    )
    person_deactivating.send(sender=Person, person=person)
    changes: dict[str, list[Any]] = {"status": [before, person.status]}
    revoked = revoke_api_tokens_of([person.pk], now=person.deactivated_at)
    if revoked:
        changes["api_tokens"] = [f"{revoked} active", "revoked"]
    record_event(
        person,
        LifecycleEvent.Action.DEACTIVATED,
        by=by,
        changes=changes,
        reason=reason,
    )
    publish([person.pk], LifecycleEvent.Action.DEACTIVATED)
    return person


@transaction.atomic
def reactivate_person(person: Person, *, by: Actorish, reason: str = "") -> Person:
    """Bring back a deactivated person: Active if they had claimed, else Awaiting invitation.

    Raises IllegalTransition unless the person is deactivated.
    """
    require(by, "accounts.deactivate_person")
    person = _locked(person)
    if person.status != Person.Status.DEACTIVATED:
        raise IllegalTransition(f"{person} is not deactivated.")
    require_may_change(person, by=by)
    person.status = Person.Status.ACTIVE if person.has_claimed else Person.Status.STAGED
    person.is_active = person.status == Person.Status.ACTIVE
    person.deactivated_at = None
    person.version += 1
    person.save(update_fields=["status", "is_active", "deactivated_at", "version", "updated_at"])
    record_event(
        person,
        LifecycleEvent.Action.REACTIVATED,
        by=by,
        changes={"status": [Person.Status.DEACTIVATED.value, person.status]},
        reason=reason,
    )
    publish([person.pk], LifecycleEvent.Action.REACTIVATED)
    return person


@transaction.atomic
def delete_person(person: Person, *, by: Actorish, reason: str = "") -> int:
    """Delete a person who never claimed an account; return the deleted id.

    Their direct reports lose their manager (audited as updates), earlier
    audit rows about them are stripped of personal data, and a tombstone event
    remains. Raises CannotDeleteClaimed for anyone who has claimed.
    """
    require(by, "accounts.delete_person")
    person = _locked(person)
    require_may_change(person, by=by)
    if person.has_claimed:
        raise CannotDeleteClaimed(
            f"{person} has claimed their account, so it cannot be deleted. Deactivate it instead."
        )
    for report in Person.objects.filter(manager=person).order_by("pk"):
        update_person(report, by=by, manager=None)
    pk = person.pk
    tombstone = f"Deleted person #{pk}"
    LifecycleEvent.objects.filter(person_ref=pk).update(subject=tombstone, changes={})
    person.delete()
    record_event(
        None,
        LifecycleEvent.Action.DELETED,
        by=by,
        reason=reason,
        subject=tombstone,
        person_ref=pk,
    )
    publish([pk], LifecycleEvent.Action.DELETED)
    return pk


@dataclass
class BulkResult:
    """What a bulk action did: people changed, and those skipped with why."""

    done: list[Person] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)


def _bulk(people: Iterable[Person], service: Any, *, by: Actorish, **kwargs: Any) -> BulkResult:
    result = BulkResult()
    with transaction.atomic():
        for person in people:
            try:
                with transaction.atomic():
                    outcome = service(person, by=by, **kwargs)
            except (IllegalTransition, CannotDeleteClaimed, StaffProtected) as exc:
                result.skipped.append((person, exc.message))
            else:
                result.done.append(outcome if isinstance(outcome, Person) else person)
    return result


def deactivate_people(people: Iterable[Person], *, by: Actorish, reason: str = "") -> BulkResult:
    """Deactivate each person who can be; report the rest. Raises NotAllowed up front."""
    require(by, "accounts.deactivate_person")
    return _bulk(people, deactivate_person, by=by, reason=reason)


def reactivate_people(people: Iterable[Person], *, by: Actorish) -> BulkResult:
    """Reactivate each deactivated person; report the rest. Raises NotAllowed up front."""
    require(by, "accounts.deactivate_person")
    return _bulk(people, reactivate_person, by=by)


def delete_people(people: Iterable[Person], *, by: Actorish) -> BulkResult:
    """Delete each never-claimed person; report those who claimed. Raises NotAllowed."""
    require(by, "accounts.delete_person")
    return _bulk(people, delete_person, by=by)


# --- roles, passwords, administrators ---------------------------------------


@transaction.atomic
def set_role(person: Person, *, role: str, by: Actorish) -> Person:
    """Give a person an admin role (or none). Only System administrators may."""
    require(by, "accounts.change_role")
    if role not in Role.values:
        raise InvalidPerson({"role": f"“{role}” is not a role."})
    person = _locked(person)
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
def set_password(person: Person, *, password: str, by: Actorish) -> Person:
    """Set a person's password (validated elsewhere) and audit that it happened.

    Raises StaffProtected when ``by`` may not change this person (a staff member).
    """
    person = _locked(person)
    require_may_change(person, by=by)
    person.set_password(password)
    person.save(update_fields=["password", "updated_at"])
    record_event(person, LifecycleEvent.Action.PASSWORD_SET, by=by)
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


# --- allowed domains --------------------------------------------------------


@transaction.atomic
def add_allowed_domain(domain: str, *, by: Actorish, is_verified: bool = False) -> AllowedDomain:
    """Add a domain to the allow-list. Raises InvalidPerson for a malformed or known domain."""
    require(by, "accounts.change_alloweddomain")
    name = (domain or "").strip().lower().lstrip("@")
    try:
        validate_email(f"check@{name}")
    except ValidationError as exc:
        raise InvalidPerson({"domain": f"“{domain}” is not a valid domain."}) from exc
    if AllowedDomain.objects.filter(domain=name).exists():
        raise InvalidPerson({"domain": f"{name} is already allowed."})
    allowed = AllowedDomain.objects.create(domain=name, is_verified=is_verified)
    record_event(
        None,
        LifecycleEvent.Action.DOMAIN_ADDED,
        by=by,
        subject=name,
        subject_kind=LifecycleEvent.SubjectKind.DOMAIN,
    )
    return allowed


@transaction.atomic
def remove_allowed_domain(allowed: AllowedDomain, *, by: Actorish) -> None:
    """Remove a domain from the allow-list; people already using it keep their email."""
    require(by, "accounts.change_alloweddomain")
    record_event(
        None,
        LifecycleEvent.Action.DOMAIN_REMOVED,
        by=by,
        subject=allowed.domain,
        subject_kind=LifecycleEvent.SubjectKind.DOMAIN,
    )
    allowed.delete()


# --- password changes made on the sign-in pages ----------------------------


@transaction.atomic
def record_password_change(person: Person, *, by: Actorish) -> LifecycleEvent:
    """Audit a password that was already changed (sign-in pages change it themselves)."""
    return record_event(person, LifecycleEvent.Action.PASSWORD_SET, by=by)


# --- set-based writes (spreadsheet imports, directory syncs) ----------------
# Imports validate and write thousands of people at once; these helpers give
# them the same rules and the same audit rows as the per-person services.


def normalise_email(raw: str) -> str:
    """Return ``raw`` trimmed with its domain lower-cased (as create_person stores it)."""
    return _normalise_email(raw)


def email_problem(email: str, *, allowed_domains: frozenset[str]) -> str | None:
    """Return why a normalised ``email`` cannot be used, or None (no query; no uniqueness)."""
    try:
        validate_email(email)
    except ValidationError:
        return f"“{email}” is not a valid email address."
    domain = email.rpartition("@")[2].lower()
    if allowed_domains and domain not in allowed_domains:
        return f"The domain {domain} is not one of the organisation's allowed email domains."
    return None


def deactivated_values(*, now: Any) -> dict[str, Any]:
    """Return the column values deactivate_person writes (sessions end via the stamp)."""
    return {
        "status": Person.Status.DEACTIVATED,
        "is_active": False,
        "deactivated_at": now,
        "security_stamp": new_security_stamp(),
    }


def revoke_api_tokens_of(person_ids: Iterable[int], *, now: Any) -> int:
    """Revoke the live API tokens of these people (deactivation); return how many.

    A later reactivation does not bring them back: the person needs new ones.
    """
    from accounts.models import ApiToken

    return ApiToken.objects.filter(person_id__in=list(person_ids), revoked_at__isnull=True).update(
        revoked_at=now
    )


def reactivated_values(*, has_claimed: bool) -> dict[str, Any]:
    """Return the column values reactivate_person writes."""
    status = Person.Status.ACTIVE if has_claimed else Person.Status.STAGED
    return {"status": status, "is_active": status == Person.Status.ACTIVE, "deactivated_at": None}


def record_events_bulk(
    events: Iterable[tuple[int, str, str, dict[str, Any]]],
    *,
    by: Actorish,
    actor: Person | None = None,
    batch_size: int = 2000,
    writer: Any = None,
) -> int:
    """Write one audit row per (person id, action, subject, changes) in the caller's
    transaction; ``actor`` is the person behind a non-person ``by``. ``writer``
    (a callable taking the rows as {attname: value} dicts) replaces
    bulk_create, e.g. with COPY. Return the count."""
    kind, label, actor_person = describe(by)
    actor_person = actor_person or actor
    actor_id = actor_person.pk if actor_person is not None else None
    rows = [
        {
            "person_id": pk,
            "person_ref": pk,
            "subject": subject[:300],
            "action": action,
            "actor_id": actor_id,
            "actor_kind": kind,
            "actor_label": label[:300],
            "changes": changes,
            "reason": "",
        }
        for pk, action, subject, changes in events
    ]
    if writer is not None:
        writer(rows)
    else:
        LifecycleEvent.objects.bulk_create(
            [LifecycleEvent(**row) for row in rows], batch_size=batch_size
        )
    return len(rows)
