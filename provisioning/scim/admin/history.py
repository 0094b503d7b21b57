"""The read-only admin of what pushes did: SCIM runs with their reports, and links per person."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.decorators import display

from accounts.admin_tables import table
from provisioning.scim.models import ScimLink, ScimRun


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScimRun)
class ScimRunAdmin(ReadOnlyAdmin):
    list_display = (
        "target",
        "kind",
        "status",
        "started_at",
        "finished_at",
        "progress_label",
        "created",
        "updated",
        "adopted",
        "deactivated",
        "deleted",
        "failed",
        "requests",
    )
    list_filter = ("kind", "status", "target")
    list_select_related = ("target",)
    fields = (
        "target",
        "kind",
        "status",
        "started_at",
        "finished_at",
        "progress_label",
        "total",
        "created",
        "updated",
        "adopted",
        "deactivated",
        "deleted",
        "unchanged",
        "failed",
        "requests",
        "message",
        "report_panel",
    )
    readonly_fields = fields

    @display(description="Progress")
    def progress_label(self, obj: ScimRun) -> str:
        return f"{obj.done}/{obj.total} ({obj.progress}%)"

    @display(description="Report")
    def report_panel(self, obj: ScimRun) -> str:
        if obj.kind == ScimRun.Kind.DRY_RUN:
            rows = [
                (
                    r["person"] or "",
                    r["method"],
                    r["path"],
                    format_html("<pre>{}</pre>", json.dumps(r["body"], indent=1))
                    if r["body"]
                    else "",
                )
                for r in obj.report.get("requests", [])
            ]
            return table(["Person", "Method", "Path", "Body"], rows)
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=1))


@admin.register(ScimLink)
class ScimLinkAdmin(ReadOnlyAdmin):
    list_display = (
        "person_label",
        "target",
        "remote_id",
        "synced_version",
        "last_pushed_at",
        "last_error",
    )
    list_filter = ("target",)
    list_select_related = ("target", "person")
    search_fields = ("remote_id", "person__email")
    fields = (
        "target",
        "person_label",
        "remote_id",
        "synced_version",
        "snapshot",
        "needs_manager",
        "failed_version",
        "attempts",
        "next_attempt_at",
        "last_error",
        "last_pushed_at",
    )
    readonly_fields = fields

    @display(description="Person")
    def person_label(self, obj: ScimLink) -> str:
        return str(obj.person) if obj.person else f"Deleted person #{obj.person_ref}"
