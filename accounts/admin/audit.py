"""The audit log admin: read-only, exported as the list shows it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import display

from accounts.admin_views import FastCheckboxMixin, RosterPaginator
from accounts.models import LifecycleEvent
from accounts.resources import LifecycleEventResource


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(FastCheckboxMixin, ExportMixin, ModelAdmin):
    """The audit log: read-only, exported as the changelist shows it (filters applied)."""

    list_display = ("created_at", "action", "subject_link", "actor_label", "changes_summary")
    list_filter = (
        ("action", ChoicesDropdownFilter),
        ("subject_kind", ChoicesDropdownFilter),
        ("actor_kind", ChoicesDropdownFilter),
        ("created_at", RangeDateFilter),
    )
    list_filter_submit = True
    search_fields = ("subject", "actor_label")
    list_per_page = 50
    list_disable_select_all = True
    paginator = RosterPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    fields = (
        "created_at",
        "action",
        "subject_kind",
        "subject",
        "person_ref",
        "actor_kind",
        "actor_label",
        "reason",
        "changes",
    )
    # Export only: the audit log is written by accounts.services alone.
    resource_classes = [LifecycleEventResource]
    export_form_class = ExportForm
    export_formats = [CSV, XLSX]
    # A byte-order mark, so Excel reads accents in CSV (as the people export does).
    to_encoding = "utf-8-sig"

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description="Subject", ordering="subject")
    def subject_link(self, obj: LifecycleEvent) -> str:
        if obj.person_id:
            url = reverse("admin:accounts_person_change", args=[obj.person_id])
            return format_html('<a href="{}">{}</a>', url, obj.subject)
        return obj.subject

    @display(description="Changes")
    def changes_summary(self, obj: LifecycleEvent) -> str:
        parts = [
            f"{name}: {_short(values[0])} → {_short(values[1])}"
            if isinstance(values, list) and len(values) == 2
            else f"{name}: {_short(values)}"
            for name, values in (obj.changes or {}).items()
        ]
        text = "; ".join(parts)
        if obj.reason:
            text = f"{text} (reason: {obj.reason})" if text else f"Reason: {obj.reason}"
        return text if len(text) <= 160 else text[:157] + "…"


def _short(value: Any) -> str:
    if value in (None, ""):
        return "—"
    return str(value)
