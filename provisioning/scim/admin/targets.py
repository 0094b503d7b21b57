"""The admin for SCIM targets: settings, state, people in sync, runs, and the buttons.

Every write goes through provisioning.scim.services; the buttons are unfold
detail actions (a confirmation page on GET, the service call on POST) and
changelist actions for several targets at once.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.decorators import action, display

from accounts.actors import signed_in
from accounts.admin import ServiceAdmin
from accounts.admin_tables import table
from accounts.exceptions import DomainError
from accounts.organisation import current_organisation
from provisioning.scim import group_batch, schedules, selectors, services
from provisioning.scim.admin.buttons import BUTTONS, not_applying
from provisioning.scim.admin.forms import ScimTargetForm
from provisioning.scim.models import ScimRun, ScimTarget

# Rows per panel (failed people, runs) on a target's page.
SHOWN = 20
SCHEDULE_FIELDS = ("full_sync", "full_sync_hour", "full_sync_weekday")
BATCH_FIELDS = ("group_batch_size",)


@admin.register(ScimTarget)
class ScimTargetAdmin(ServiceAdmin):
    form = ScimTargetForm
    list_display = ("name", "base_url", "is_enabled", "state_label", "people", "last_run")
    search_fields = ("name", "base_url")
    actions = ("sync_selected", "pause_selected", "resume_selected", "dry_run_selected")
    actions_detail = (
        "enable_detail",
        "test_detail",
        "sync_detail",
        "dry_run_detail",
        "reconcile_detail",
        "reconcile_fix_detail",
        "pause_detail",
        "resume_detail",
    )

    def get_fieldsets(self, request: HttpRequest, obj: ScimTarget | None = None) -> list:
        settings_fields = [
            f for f in ScimTargetForm.Meta.fields if f not in SCHEDULE_FIELDS + BATCH_FIELDS
        ]
        schedule = list(SCHEDULE_FIELDS) + (["full_sync_panel"] if obj is not None else [])
        batch = list(BATCH_FIELDS) + (["group_batch_panel"] if obj is not None else [])
        sets: list = [
            (None, {"fields": settings_fields}),
            ("Full sync", {"fields": schedule}),
            ("Group members", {"fields": batch}),
        ]
        if obj is not None:
            sets.insert(
                0,
                (
                    "Status",
                    {"fields": ["status_panel", "capabilities_panel"]},
                ),
            )
            sets.append(("People with problems", {"fields": ["failures_panel"]}))
            sets.append(("Runs", {"fields": ["runs_panel"]}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: ScimTarget | None = None) -> list:
        if obj is None:
            return []
        return [
            "status_panel",
            "capabilities_panel",
            "full_sync_panel",
            "group_batch_panel",
            "failures_panel",
            "runs_panel",
        ]

    # --- columns and panels ------------------------------------------------
    @display(
        description="State", label={"healthy": "success", "retrying": "warning", "paused": "danger"}
    )
    def state_label(self, obj: ScimTarget) -> tuple[str, str]:
        return obj.state, obj.get_state_display()

    @display(description="In sync / pending / failed")
    def people(self, obj: ScimTarget) -> str:
        c = selectors.count_link_states(obj)
        return f"{c['in_sync']} / {c['pending']} / {c['failed']}"

    @display(description="Last run")
    def last_run(self, obj: ScimTarget) -> str:
        run = selectors.list_runs(obj).first()
        if run is None:
            return "-"
        return f"{run.get_kind_display()}: {run.get_status_display()} ({run.progress}%)"

    @display(description="State")
    def status_panel(self, obj: ScimTarget) -> str:
        c = selectors.count_link_states(obj)
        return format_html(
            "<p><strong>{}</strong>{}{}</p><p>{} in sync, {} pending, {} failed.</p>",
            obj.get_state_display() if obj.is_enabled else "Disabled",
            ": " if obj.state_reason else "",
            obj.state_reason,
            c["in_sync"],
            c["pending"],
            c["failed"],
        )

    @display(description="What the target supports")
    def capabilities_panel(self, obj: ScimTarget) -> str:
        caps = obj.capabilities
        if not caps:
            return "Not checked yet: use Test connection."
        rows = [
            ("PATCH", "yes" if caps.get("patch") else "no (updates use PUT)"),
            ("Filter", "yes" if caps.get("filter") else "no"),
            (
                "Bulk",
                f"yes, up to {caps.get('bulk_max_operations')} operations and "
                f"{caps.get('bulk_max_payload_size')} bytes"
                if caps.get("bulk")
                else "no",
            ),
            ("ETag", "yes" if caps.get("etag") else "no"),
            ("Sorting", "yes" if caps.get("sort") else "no"),
            ("Resource types", ", ".join(caps.get("resource_types") or []) or "-"),
            ("Checked", obj.capabilities_checked_at or "-"),
        ]
        return table(["Feature", "Supported"], rows)

    @display(description="Schedule")
    def full_sync_panel(self, obj: ScimTarget) -> str:
        status = schedules.full_sync_status(obj)
        zone = zoneinfo.ZoneInfo(current_organisation().time_zone)
        if status.next_at is not None:
            upcoming = f"{status.next_at.astimezone(zone):%Y-%m-%d %H:%M %Z}"
        else:
            upcoming = status.next_note or "Not scheduled."
        last = status.last
        if last is None:
            latest = "Never."
        else:
            latest = (
                f"{last.started_at.astimezone(zone):%Y-%m-%d %H:%M %Z}: "
                f"{last.get_status_display()}, {last.done}/{last.total} people"
                + (f" — {last.message}" if last.message else "")
            )
        return format_html(
            "<p>{}</p><p>Next full sync: {}</p><p>Last full sync: {}</p>",
            status.schedule,
            upcoming,
            latest,
        )

    @display(description="In use")
    def group_batch_panel(self, obj: ScimTarget) -> str:
        return format_html("<p>Members per request: {}</p>", group_batch.batch_source(obj))

    @display(description="Last error per person")
    def failures_panel(self, obj: ScimTarget) -> str:
        rows = [
            (
                link.person or f"Deleted person #{link.person_ref}",
                link.last_error,
                "permanent (until the person changes or Sync now)"
                if link.failed_version
                else f"retrying at {link.next_attempt_at:%H:%M:%S}"
                if link.next_attempt_at
                else "-",
            )
            for link in selectors.list_failed_links(obj)[:SHOWN]
        ]
        return table(["Person", "Error", "Next"], rows)

    @display(description="History")
    def runs_panel(self, obj: ScimTarget) -> str:
        rows = [
            (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:provisioning_scimrun_change", args=[run.pk]),
                    run.get_kind_display(),
                ),
                run.get_status_display(),
                run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                run.finished_at.strftime("%H:%M:%S") if run.finished_at else "-",
                f"{run.done}/{run.total} ({run.progress}%)",
                f"{run.created} created, {run.updated} updated, {run.adopted} adopted, "
                f"{run.deactivated} deactivated, {run.deleted} deleted, {run.failed} failed",
                run.requests,
            )
            for run in selectors.list_runs(obj)[:SHOWN]
        ]
        return table(
            ["Run", "Status", "Started", "Finished", "Progress", "Counts", "Requests"], rows
        )

    # --- buttons -----------------------------------------------------------
    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        actions = super().get_actions_detail(request, object_id)
        target = self.get_object(request, unquote(str(object_id)))
        if target is None:
            return actions
        return [
            a
            for a in actions
            if not_applying(target, a.method.__name__.removesuffix("_detail")) is None
        ]

    def _press(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        title, permission, call, said = BUTTONS[name]
        allowed = (
            self.has_change_permission(request)
            if permission == "change"
            else self.has_view_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        target = self.get_object(request, unquote(object_id))
        if target is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
        why_not = not_applying(target, name)
        if why_not:
            self.message_user(request, why_not, messages.WARNING)
            return HttpResponseRedirect(change_url)
        if request.method != "POST" or request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": f"{title}: {target.name}?",
                "opts": self.opts,
                "target": target,
                "button": title,
                "cancel_url": change_url,
            }
            return TemplateResponse(request, "admin/provisioning/scimtarget/confirm.html", context)
        try:
            result = call(target, signed_in(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        self.message_user(request, said, messages.SUCCESS)
        if isinstance(result, ScimRun) and result.kind == ScimRun.Kind.DRY_RUN:
            return HttpResponseRedirect(
                reverse("admin:provisioning_scimrun_change", args=[result.pk])
            )
        return HttpResponseRedirect(change_url)

    @action(description="Enable and sync", url_path="enable", permissions=["change"])
    def enable_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "enable")

    @action(description="Test connection", url_path="test", permissions=["change"])
    def test_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "test")

    @action(description="Sync now", url_path="sync", permissions=["change"])
    def sync_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "sync")

    @action(description="Dry run", url_path="dry-run", permissions=["change"])
    def dry_run_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "dry_run")

    @action(description="Reconcile", url_path="reconcile", permissions=["change"])
    def reconcile_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "reconcile")

    @action(description="Reconcile and fix", url_path="reconcile-fix", permissions=["change"])
    def reconcile_fix_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "reconcile_fix")

    @action(description="Pause", url_path="pause", permissions=["change"])
    def pause_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "pause")

    @action(description="Resume", url_path="resume", permissions=["change"])
    def resume_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "resume")

    def _each(self, request: HttpRequest, queryset: QuerySet[ScimTarget], name: str) -> None:
        _title, _permission, call, said = BUTTONS[name]
        for target in queryset:
            why_not = not_applying(target, name)
            if why_not:
                self.message_user(request, why_not, messages.WARNING)
                continue
            try:
                call(target, signed_in(request))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{target.name}: {said}", messages.SUCCESS)

    @admin.action(description="Sync selected targets now", permissions=["change"])
    def sync_selected(self, request: HttpRequest, queryset: QuerySet[ScimTarget]) -> None:
        self._each(request, queryset, "sync")

    @admin.action(description="Pause selected targets", permissions=["change"])
    def pause_selected(self, request: HttpRequest, queryset: QuerySet[ScimTarget]) -> None:
        self._each(request, queryset, "pause")

    @admin.action(description="Resume selected targets", permissions=["change"])
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[ScimTarget]) -> None:
        self._each(request, queryset, "resume")

    @admin.action(description="Dry run of selected targets", permissions=["change"])
    def dry_run_selected(self, request: HttpRequest, queryset: QuerySet[ScimTarget]) -> None:
        self._each(request, queryset, "dry_run")

    def delete_model(self, request: HttpRequest, obj: ScimTarget) -> None:
        services.delete_target(obj, by=signed_in(request))
