"""Building blocks of the admin that keep large lists fast and bulk changes explicit.

- ``RosterPaginator``: counts without scanning the whole table.
- ``CachedValuesFilter``: department/location choices from the cache, not a
  ``SELECT DISTINCT`` per request; ``StartDateFilter``: start dates relative
  to today.
- ``preview``: run a bulk service in a transaction that is rolled back, so a
  confirmation page shows exactly what the service would do and skip.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from unfold.admin import checkbox
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import display

from accounts.models import Person
from accounts.roles import Role

# Lists longer than this are not counted exactly.
COUNT_CAP = 10_000
# How long department/location filter choices are served from the cache.
CHOICES_TTL_SECONDS = 60


class RosterPaginator(Paginator):
    """A paginator that never runs an unbounded ``COUNT(*)``.

    An unfiltered list on PostgreSQL takes the planner's row estimate
    (``pg_class.reltuples``) once it is above ``COUNT_CAP``; a filtered list
    counts at most ``COUNT_CAP + 1`` rows. Small tables and other databases
    are counted exactly.
    """

    template_name = "admin/roster_pagination.html"

    def __init__(self, object_list: Any, per_page: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.is_estimate = False
        self.is_capped = False

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet):
            return len(qs)
        if not qs.query.where and not qs.query.distinct:
            estimate = _estimated_rows(qs)
            if estimate is not None and estimate > COUNT_CAP:
                self.is_estimate = True
                return estimate
            return qs.count()
        bounded = qs.order_by().values("pk")[: COUNT_CAP + 1].count()
        if bounded > COUNT_CAP:
            self.is_capped = True
        return bounded

    @property
    def count_label(self) -> str:
        if self.is_capped:
            return f"{COUNT_CAP:,}+"
        if self.is_estimate:
            return f"about {self.count:,}"
        return f"{self.count:,}"


def _estimated_rows(qs: QuerySet) -> int | None:
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(qs.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1 means the table was never analysed.
    if not row or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def cached_values(field: str) -> list[str]:
    """Return the distinct non-blank values of a person's ``field``, cached briefly.

    New values appear within ``CHOICES_TTL_SECONDS``; filtering by a value
    works at once because only the choice list is cached.
    """

    def load() -> list[str]:
        return list(
            Person.objects.order_by(field)
            .exclude(**{field: ""})
            .values_list(field, flat=True)
            .distinct()
        )

    values: list[str] | None = cache.get_or_set(
        f"roster:admin:person-{field}-values", load, CHOICES_TTL_SECONDS
    )
    return values or []


class CachedValuesFilter(DropdownFilter):
    """A dropdown over one text column whose choices come from ``cached_values``."""

    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, value) for value in cached_values(self.field_name)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value:
            return queryset.filter(**{self.field_name: value})
        return queryset


class DepartmentFilter(CachedValuesFilter):
    title = "department"
    parameter_name = "department"
    field_name = "department"


class LocationFilter(CachedValuesFilter):
    title = "location"
    parameter_name = "location"
    field_name = "location"


class StaffFilter(DropdownFilter):
    """Staff (anyone holding an admin role), or one role: the Settings menu's "Staff roles"."""

    title = "admin role"
    parameter_name = "staff"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Any admin role"), *[(r.value, r.label) for r in Role if r.value]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "yes":
            return queryset.exclude(role=Role.NONE)
        if value in Role.values and value:
            return queryset.filter(role=value)
        return queryset


# Start date filter choices: (parameter value, label, first day, last day),
# days counted from today in the organisation's time zone.
START_DATE_CHOICES: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("next7", "Starts in the next 7 days", 0, 7),
    ("next30", "Starts in the next 30 days", 0, 30),
    ("later", "Starts in more than 30 days", 31, None),
    ("past30", "Started in the last 30 days", -30, -1),
    ("past", "Started more than 30 days ago", None, -31),
)


class StartDateFilter(DropdownFilter):
    """People by their start date, relative to today; or those without one."""

    title = "start date"
    parameter_name = "start"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, label, _, _ in START_DATE_CHOICES] + [
            ("none", "No start date")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(start_date__isnull=True)
        today = timezone.localdate()
        for key, _, first, last in START_DATE_CHOICES:
            if value == key:
                if first is not None:
                    queryset = queryset.filter(start_date__gte=today + timedelta(days=first))
                if last is not None:
                    queryset = queryset.filter(start_date__lte=today + timedelta(days=last))
                return queryset
        return queryset


class _Rollback(Exception):
    pass


def preview(run: Callable[[], Any]) -> Any:
    """Return what ``run()`` returns, then undo every write it made.

    Nothing it enqueued with ``on_commit`` survives the rollback.
    """
    outcome: list[Any] = []
    try:
        with transaction.atomic():
            outcome.append(run())
            raise _Rollback
    except _Rollback:
        pass
    return outcome[0]


def memoise_unfold_result_headers() -> None:
    """Compute a changelist's column headers once per page, not once per row.

    unfold's ``items_for_result`` rebuilds every header (sort links and all)
    for each row only to read its label; on a 50-row page that was about
    half of the rendering time. The headers depend on the changelist alone.
    """
    from unfold.templatetags import unfold_list

    original = unfold_list.result_headers
    if getattr(original, "roster_memoised", False):
        return

    def result_headers(cl: Any) -> Any:
        cached = getattr(cl, "_roster_result_headers", None)
        if cached is None:
            cached = list(original(cl))
            cl._roster_result_headers = cached
        return iter(cached)

    result_headers.roster_memoised = True  # type: ignore[attr-defined]
    unfold_list.result_headers = result_headers


class FastCheckboxMixin:
    """Render the per-row selection checkbox from one pre-rendered template.

    unfold renders a widget template per row for the same markup each time.
    """

    _checkbox_html: str | None = None

    @display(description=mark_safe(checkbox.render("action_toggle_all", 1)))
    def action_checkbox(self, obj: Any) -> str:
        html = FastCheckboxMixin._checkbox_html
        if html is None:
            html = checkbox.render(ACTION_CHECKBOX_NAME, "__roster_pk__")
            FastCheckboxMixin._checkbox_html = html
        return mark_safe(html.replace("__roster_pk__", escape(str(obj.pk))))
