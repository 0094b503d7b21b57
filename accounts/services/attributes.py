"""Validating and normalising a person's attributes, for one person or thousands.

``clean_attributes`` checks the attributes a service is about to write;
imports, which validate whole files at once, use ``normalise_email`` and
``email_problem`` for the same rules without a query per row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet

from accounts.exceptions import InvalidPerson
from accounts.models import Person
from accounts.phones import InvalidPhoneNumber, normalise_phone
from accounts.selectors import people_with_email, people_with_user_name
from accounts.services.domains import email_domain_allowed

# The attributes a person carries, in display order.
ATTRIBUTES = (
    "email",
    "user_name",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager",
    "job_title",
    "department",
    "phone_number",
    "phone_number_given",
    "location",
    "start_date",
)
MAX_MANAGER_DEPTH = 10_000
MANAGER_GRAPH_LOCK = 7_301_001


def normalise_email(raw: str) -> str:
    """Return ``raw`` trimmed with its domain lower-cased (as create_person stores it)."""
    local, _, domain = (raw or "").strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else (raw or "").strip()


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


def _besides(people: QuerySet[Person], pk: int | None) -> QuerySet[Person]:
    # A person being created has no row yet, so nobody is left out.
    return people if pk is None else people.exclude(pk=pk)


def clean_attributes(data: dict[str, Any], *, person: Person | None = None) -> dict[str, Any]:
    """Validate and normalise person attributes; raise InvalidPerson listing every problem.

    ``data`` holds only the attributes being set. Returns the normalised values.
    """
    errors: dict[str, str] = {}
    clean = dict(data)
    pk = person.pk if person else None
    if "email" in clean:
        email = normalise_email(clean["email"])
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
            elif _besides(people_with_email(email), pk).exists():
                errors["email"] = f"Another person already has the email {email}."
    if "external_id" in clean:
        ext = (clean["external_id"] or "").strip() or None
        clean["external_id"] = ext
        if ext and _besides(Person.objects.filter(external_id=ext), pk).exists():
            errors["external_id"] = f"Another person already has the external ID {ext}."
    if "phone_number_given" in clean:
        clean.update(lenient_phone(clean["phone_number_given"]))
    elif "phone_number" in clean:
        try:
            clean["phone_number"] = normalise_phone(clean["phone_number"])
        except InvalidPhoneNumber as exc:
            errors["phone_number"] = str(exc)
        clean["phone_number_given"] = ""
    if "user_name" in clean or "email" in clean:
        problem = _clean_user_name(clean, person=person)
        if problem and "email" not in errors:
            errors["user_name"] = problem
    if "start_date" in clean:
        clean["start_date"], problem = _start_date(clean["start_date"])
        if problem:
            errors["start_date"] = problem
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


def _start_date(value: Any) -> tuple[date | None, str | None]:
    """Return a start date given as a date, an ISO text or blank, or why it is not one."""
    if value in (None, ""):
        return None, None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, f"“{value}” is not a date; write it as YYYY-MM-DD."


def lenient_phone(raw: str | None) -> dict[str, str]:
    """Return phone_number (E.164) and phone_number_given for a number an IdP sent.

    Never raises: what cannot be parsed with the organisation's phone region is kept as
    given, with no E.164 number (shown as unverified).
    """
    given = (raw or "").strip()
    try:
        e164 = normalise_phone(given)
    except InvalidPhoneNumber:
        return {"phone_number": "", "phone_number_given": given}
    return {"phone_number": e164, "phone_number_given": "" if given == e164 else given}


def _clean_user_name(clean: dict[str, Any], *, person: Person | None) -> str | None:
    """Store userName only where it differs from the email; check it is free."""
    email = clean.get("email", person.email if person else "")
    given = clean.get("user_name", person.user_name if person else None)
    if given is not None and not isinstance(given, str):
        return "userName must be text."
    if given is not None and "\x00" in given:
        return "userName contains a NUL character."
    if given is not None and len(given) > 255:
        return "userName is longer than 255 characters."
    value = given if given and given != email else None
    clean["user_name"] = value
    pk = person.pk if person else None
    if value and _besides(people_with_user_name(value), pk).exists():
        return f"Another person already has the userName {value}."
    taken_by_user_name = people_with_user_name(email).filter(user_name__isnull=False)
    if value is None and email and _besides(taken_by_user_name, pk).exists():
        return f"Another person already has the userName {email}."
    return None


def audit_value(name: str, value: Any) -> Any:
    """Return ``value`` as the audit trail records attribute ``name`` (a manager by
    email, a date as YYYY-MM-DD)."""
    if name == "manager":
        return value.email if value is not None else None
    if isinstance(value, date):
        return value.isoformat()
    return value


def save_or_explain(person: Person, **kwargs: Any) -> None:
    """Save ``person``; turn a lost race for a unique email or external ID into InvalidPerson."""
    # A concurrent writer may take the same email between the check and the
    # write; the database constraint decides, and the person gets a message.
    try:
        with transaction.atomic():
            person.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        if "user_name" in text:
            raise InvalidPerson({"user_name": "Another person already has this userName."}) from exc
        if "email" in text:
            raise InvalidPerson({"email": "Another person already has this email."}) from exc
        if "external_id" in text:
            raise InvalidPerson(
                {"external_id": "Another person already has this external ID."}
            ) from exc
        raise
