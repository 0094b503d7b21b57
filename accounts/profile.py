"""Reads behind a person's profile page: their reporting line and their timeline.

Both are a fixed number of queries whatever the length of the chain, the
number of reports or the size of the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connection
from django.utils.text import capfirst

from accounts.models import LifecycleEvent, Person
from accounts.selectors import list_direct_reports, list_events_for_person

# Managers shown above a person before the chain is cut short: a real
# organisation is rarely deeper, and a bad import can make it any length.
CHAIN_LEVELS = 20
REPORTS_SHOWN = 50
TIMELINE_PER_PAGE = 20


@dataclass(frozen=True)
class ReportingLine:
    """Who a person reports to, up to the top, and who reports to them."""

    managers: list[Person]
    """The direct manager first, the top of the chain last."""
    has_cycle: bool
    """The chain comes back to someone already in it (a data error to fix)."""
    is_cut_short: bool
    """There are more managers above the last one listed."""
    reports: list[Person]
    report_count: int

    @property
    def more_reports(self) -> bool:
        return self.report_count > len(self.reports)


def _chain_sql(table: str) -> str:
    # One recursive query walks up the chain (the table name is the model's
    # own, never input). The depth bound ends it even when managers form a
    # cycle; the cycle itself is found in Python.
    return f"""
        WITH RECURSIVE chain(id, depth) AS (
            SELECT manager_id, 1 FROM {table} WHERE id = %s AND manager_id IS NOT NULL
            UNION ALL
            SELECT p.manager_id, chain.depth + 1
            FROM {table} p JOIN chain ON p.id = chain.id
            WHERE p.manager_id IS NOT NULL AND chain.depth <= %s
        )
        SELECT p.*, chain.depth FROM chain JOIN {table} p ON p.id = chain.id
        ORDER BY chain.depth
    """


def get_reporting_line(
    person: Person, *, levels: int = CHAIN_LEVELS, reports_shown: int = REPORTS_SHOWN
) -> ReportingLine:
    """Return ``person``'s managers up to the top (at most ``levels``) and their
    direct reports (the first ``reports_shown`` by name, and how many in all).

    Stops at the first manager already in the chain and says so. Two queries,
    three when there are more reports than shown.
    """
    table = connection.ops.quote_name(Person._meta.db_table)
    managers: list[Person] = []
    seen = {person.pk}
    has_cycle = False
    for manager in Person.objects.raw(_chain_sql(table), [person.pk, levels]):
        if manager.pk in seen:
            has_cycle = True
            break
        seen.add(manager.pk)
        managers.append(manager)
    is_cut_short = len(managers) > levels
    reports = list(list_direct_reports(person)[: reports_shown + 1])
    if len(reports) > reports_shown:
        count = Person.objects.filter(manager=person).count()
    else:
        count = len(reports)
    return ReportingLine(
        managers=managers[:levels],
        has_cycle=has_cycle,
        is_cut_short=is_cut_short,
        reports=reports[:reports_shown],
        report_count=count,
    )


@dataclass(frozen=True)
class FieldChange:
    """One attribute an audited change touched: its label, and before and after."""

    label: str
    before: str
    after: str
    is_pair: bool
    """False when the audit row holds one value (e.g. a secret "changed")."""


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "—"
    return str(value)


@dataclass(frozen=True)
class TimelineEntry:
    """One audited change to a person, as the profile's timeline shows it."""

    at: datetime
    action: str
    action_label: str
    actor_label: str
    actor_id: int | None
    changes: list[FieldChange]
    reason: str


def _label(name: str) -> str:
    try:
        field = Person._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    verbose = getattr(field, "verbose_name", None) or name.replace("_", " ")
    return capfirst(str(verbose))


def _changes(raw: Any) -> list[FieldChange]:
    if not isinstance(raw, dict):
        return []
    lines = []
    for name, value in raw.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            lines.append(FieldChange(_label(name), _text(value[0]), _text(value[1]), True))
        else:
            lines.append(FieldChange(_label(name), "", _text(value), is_pair=False))
    return lines


def _entry(event: LifecycleEvent) -> TimelineEntry:
    return TimelineEntry(
        at=event.created_at,
        action=event.action,
        action_label=event.get_action_display(),
        actor_label=event.actor_label,
        actor_id=event.actor_id,
        changes=_changes(event.changes),
        reason=event.reason,
    )


@dataclass(frozen=True)
class TimelinePage:
    """One page of a person's timeline, newest first."""

    entries: list[TimelineEntry]
    number: int
    num_pages: int
    count: int

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def get_timeline_page(
    person_id: int, *, page: Any = 1, per_page: int = TIMELINE_PER_PAGE
) -> TimelinePage:
    """Return one page of every audited change to the person, newest first.

    ``page`` is taken as given (a query parameter): anything that is not a
    page number gives the nearest valid page. Two queries (count and page).
    """
    events = list_events_for_person(person_id).order_by("-created_at", "-id")
    result = Paginator(events, per_page).get_page(page)
    return TimelinePage(
        entries=[_entry(event) for event in result.object_list],
        number=result.number,
        num_pages=result.paginator.num_pages,
        count=result.paginator.count,
    )
