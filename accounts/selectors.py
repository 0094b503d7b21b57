"""Reads shared by the admin, API, commands and tasks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.utils import timezone

from accounts.models import AllowedDomain, LifecycleEvent, Person
from accounts.roles import Role


def list_people(
    *,
    status: str | None = None,
    department: str | None = None,
    location: str | None = None,
    source: str | None = None,
    manager_id: int | None = None,
    search: str | None = None,
    start_date_from: date | None = None,
    start_date_to: date | None = None,
) -> QuerySet[Person]:
    """Return people matching every given filter, with their manager loaded."""
    qs = Person.objects.select_related("manager")
    if status:
        qs = qs.filter(status=status)
    if department:
        qs = qs.filter(department=department)
    if location:
        qs = qs.filter(location=location)
    if source:
        qs = qs.filter(source=source)
    if manager_id:
        qs = qs.filter(manager_id=manager_id)
    if start_date_from:
        qs = qs.filter(start_date__gte=start_date_from)
    if start_date_to:
        qs = qs.filter(start_date__lte=start_date_to)
    if search:
        qs = qs.filter(
            Q(full_name__icontains=search)
            | Q(email__icontains=search)
            | Q(external_id__iexact=search)
        )
    return qs


def people_with_user_name(user_name: str) -> QuerySet[Person]:
    """Return the people (at most one) whose SCIM userName matches in any case.

    A person without a userName of their own goes by their email; the
    expression is the one the unique index covers.
    """
    return Person.objects.alias(user_name_ci=user_name_ci()).filter(
        user_name_ci=(user_name or "").lower()
    )


def user_name_ci() -> Lower:
    """Return lower(coalesce(user_name, email)), as the unique index holds it."""
    return Lower(Coalesce("user_name", "email", output_field=CharField()))


def people_with_email(email: str) -> QuerySet[Person]:
    """Return the people (at most one) whose email matches in any case.

    Compares lower(email) so PostgreSQL uses the unique functional index;
    ``email__iexact`` would compare UPPER() and scan the table.
    """
    return Person.objects.annotate(email_lower=Lower("email")).filter(
        email_lower=(email or "").strip().lower()
    )


def find_person_by_email(email: str) -> Person | None:
    """Return the person with this email (any case), or None."""
    return people_with_email(email).select_related("manager").first()


def list_direct_reports(person: Person) -> QuerySet[Person]:
    return Person.objects.filter(manager=person).order_by("full_name", "id")


def list_events_for_person(person_id: int) -> QuerySet[LifecycleEvent]:
    return LifecycleEvent.objects.filter(person_ref=person_id).select_related("actor")


def count_people_by_status() -> dict[str, int]:
    """Return {status value: count} for every status, zeros included."""
    counts = dict(
        Person.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Person.Status.values}


def list_added_by_source(*, days: int = 30) -> list[dict[str, Any]]:
    """Return one row per day of the last ``days`` with a count per source."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        Person.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day", "source")
        .annotate(n=Count("id"))
    )
    by_day: dict[Any, dict[str, int]] = {}
    for row in rows:
        by_day.setdefault(row["day"], {})[row["source"]] = row["n"]
    today = timezone.localdate()
    return [
        {"day": day, "counts": by_day.get(day, {})}
        for day in (today - timedelta(days=offset) for offset in range(days - 1, -1, -1))
    ]


def has_allowed_domains() -> bool:
    return AllowedDomain.objects.exists()


def dashboard_figures() -> dict[str, Any]:
    """Return what the admin index shows."""
    by_status = count_people_by_status()
    added = list_added_by_source(days=30)
    return {
        "people_by_status": [
            {"status": value, "label": label, "count": by_status[value]}
            for value, label in Person.Status.choices
        ],
        "people_total": sum(by_status.values()),
        "added_by_source": added,
        "sources": Person.Source.choices,
        "domains_unrestricted": not has_allowed_domains(),
    }


def find_administrator() -> Person | None:
    """Return the earliest-created active System administrator, or None."""
    return (
        Person.objects.filter(role=Role.ADMIN, is_active=True).order_by("created_at", "id").first()
    )


def list_events(
    *,
    person_id: int | None = None,
    action: str | None = None,
    actor_kind: str | None = None,
    actor_id: int | None = None,
    subject_kind: str | None = None,
    since: Any = None,
    until: Any = None,
) -> QuerySet[LifecycleEvent]:
    """Return audit events matching every given filter (no joins: rows carry labels)."""
    qs = LifecycleEvent.objects.all()
    if person_id:
        qs = qs.filter(person_ref=person_id)
    if action:
        qs = qs.filter(action=action)
    if actor_kind:
        qs = qs.filter(actor_kind=actor_kind)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if subject_kind:
        qs = qs.filter(subject_kind=subject_kind)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs
