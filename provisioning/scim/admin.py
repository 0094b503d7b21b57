"""The admin for SCIM targets: settings, state, people in sync, runs, and the buttons.

Every write goes through provisioning.scim.services; the buttons are unfold
detail actions (a confirmation page on GET, the service call on POST) and
changelist actions for several targets at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from accounts.admin import ServiceAdmin
from accounts.exceptions import DomainError
from provisioning.scim import mapping, selectors, services
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget

SHOWN = 20
SCOPES = ("scope_departments", "scope_locations", "scope_statuses", "scope_sources")


class ScimTargetForm(forms.ModelForm):
    base_url = forms.URLField(
        label="Base URL", assume_scheme="https", help_text="e.g. https://example.com/scim/v2"
    )
    oauth_token_url = forms.URLField(label="OAuth token URL", required=False, assume_scheme="https")
    token = forms.CharField(
        label="Bearer token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: stored encrypted, never shown. Leave empty to keep the current "
        "one; enter it again when the base URL moves to another host.",
    )
    oauth_client_secret = forms.CharField(
        label="OAuth client secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: stored encrypted, never shown. Leave empty to keep the current "
        "one; enter it again when the token URL or base URL moves to another host.",
    )
    scope_departments = forms.CharField(
        required=False, help_text="Comma-separated; empty means every department."
    )
    scope_locations = forms.CharField(
        required=False, help_text="Comma-separated; empty means every location."
    )
    scope_statuses = forms.MultipleChoiceField(
        required=False,
        choices=ScimTarget._meta.apps.get_model("accounts", "Person").Status.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every status.",
    )
    scope_sources = forms.MultipleChoiceField(
        required=False,
        choices=ScimTarget._meta.apps.get_model("accounts", "Person").Source.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked means every source.",
    )
    attribute_mapping = forms.JSONField(
        required=False,
        help_text=format_html(
            "Overrides of the default mapping, e.g. {}. Defaults: {}",
            '{"title": "department", "nickName": "first_name"}',
            ", ".join(f"{k} = {v}" for k, v in mapping.DEFAULT_MAPPING.items()),
        ),
    )

    class Meta:
        model = ScimTarget
        fields = [
            "name",
            "base_url",
            "auth_method",
            "token",
            "oauth_token_url",
            "oauth_client_id",
            "oauth_client_secret",
            "oauth_scope",
            *SCOPES,
            "deactivation",
            "rate_limit",
            "pause_after_failures",
            "attribute_mapping",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("scope_departments", "scope_locations"):
                self.initial[name] = ", ".join(getattr(self.instance, name) or [])

    def _split(self, name: str) -> list[str]:
        raw = self.cleaned_data.get(name) or ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def clean_scope_departments(self) -> list[str]:
        return self._split("scope_departments")

    def clean_scope_locations(self) -> list[str]:
        return self._split("scope_locations")

    def clean_attribute_mapping(self) -> dict[str, str]:
        return self.cleaned_data.get("attribute_mapping") or {}

    def _post_clean(self) -> None:
        # Validation belongs to the service; skip the model's full_clean.
        pass

    def save_through_services(self, *, by: Any) -> ScimTarget:
        data = dict(self.cleaned_data)
        token = data.pop("token", "")
        secret = data.pop("oauth_client_secret", "")
        data = {k: v for k, v in data.items() if k in services.EDITABLE}
        if self.instance.pk:
            return services.update_target(
                self.instance, by=by, token=token, oauth_client_secret=secret, **data
            )
        name, url = data.pop("name"), data.pop("base_url")
        return services.create_target(
            name=name, base_url=url, by=by, token=token, oauth_client_secret=secret, **data
        )

    def show_domain_error(self, exc: DomainError) -> None:
        errors = exc.errors if isinstance(exc, InvalidTarget) else {None: exc.message}
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return format_html("<p>{}</p>", "None.")
    head = format_html_join("", "<th class='px-2 text-left'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td class='px-2 align-top'>{}</td>", ((c,) for c in row)),)
            for row in rows
        ),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# name: (title, permission, service call, what to say)
Button = tuple[str, str, Callable[..., Any], str]
BUTTONS: dict[str, Button] = {
    "enable": (
        "Enable and sync",
        "change",
        lambda t, by: services.enable_target(t, by=by),
        "Enabled; the initial sync of everyone in scope has started.",
    ),
    "sync": (
        "Sync now",
        "change",
        lambda t, by: services.start_sync(t, by=by),
        "Sync started.",
    ),
    "reconcile": (
        "Reconcile (report only)",
        "change",
        lambda t, by: services.start_reconcile(t, by=by),
        "Reconcile started; its report appears in the run history.",
    ),
    "reconcile_fix": (
        "Reconcile and fix",
        "change",
        lambda t, by: services.start_reconcile(t, by=by, fix=True),
        "Reconcile started; differences will be pushed.",
    ),
    "dry_run": (
        "Dry run",
        "change",
        lambda t, by: services.dry_run(t, by=by),
        "Dry run recorded: nothing was sent.",
    ),
    "test": (
        "Test connection",
        "change",
        lambda t, by: services.test_connection(t, by=by),
        "Connection works.",
    ),
    "pause": (
        "Pause",
        "change",
        lambda t, by: services.pause_target(t, by=by),
        "Paused; changes wait until it is resumed.",
    ),
    "resume": (
        "Resume",
        "change",
        lambda t, by: services.resume_target(t, by=by),
        "Resumed; waiting changes are being pushed.",
    ),
    "disable": (
        "Disable",
        "change",
        lambda t, by: services.disable_target(t, by=by),
        "Disabled.",
    ),
}


def _not_applying(target: ScimTarget, name: str) -> str | None:
    """Say why button ``name`` does nothing for ``target`` as it is now; None if it applies."""
    if name == "enable" and target.is_enabled:
        return f"{target.name} is already enabled."
    if name == "pause" and target.is_paused:
        return f"{target.name} is already paused."
    if name == "resume" and not target.is_paused:
        return f"{target.name} is not paused."
    return None


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
        settings_fields = list(ScimTargetForm.Meta.fields)
        sets: list = [(None, {"fields": settings_fields})]
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
        return ["status_panel", "capabilities_panel", "failures_panel", "runs_panel"]

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
        return _table(["Feature", "Supported"], rows)

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
        return _table(["Person", "Error", "Next"], rows)

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
        return _table(
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
            if _not_applying(target, a.method.__name__.removesuffix("_detail")) is None
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
        why_not = _not_applying(target, name)
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
            result = call(target, request.user)
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
            why_not = _not_applying(target, name)
            if why_not:
                self.message_user(request, why_not, messages.WARNING)
                continue
            try:
                call(target, request.user)
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
        services.delete_target(obj, by=request.user)


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
            return _table(["Person", "Method", "Path", "Body"], rows)
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
