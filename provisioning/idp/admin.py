"""The admin for identity-provider sources and their sync runs (System administrators).

Saving goes through ``idp_services.connect_source``/``update_source``; the
buttons (Test connection, Sync now, Dry run, Confirm first run, Approve,
Reject) are unfold detail actions: a confirmation page on GET, one service
call on POST. Credentials are write-only: the form never shows them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from accounts.admin import ServiceAdmin
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError
from provisioning.idp import services as idp_services
from provisioning.idp.mapping import MAPPED_ATTRIBUTES
from provisioning.idp.models import IdentitySource, SyncRun

SHOWN = 20
TEMPLATE = "admin/provisioning/identitysource/confirm.html"
WRITE_ONLY = (
    "Write-only: stored encrypted, never shown again. Leave empty to keep the current one; "
    "enter it again when a sign-in or directory address moves to another host."
)
CONNECTION_FIELDS = {
    "admin_email": "Administrator to impersonate (Google)",
    "customer": "Customer ID (Google; default my_customer)",
    "domain": "Domain (Google; instead of the customer)",
    "tenant_id": "Tenant ID (Entra)",
    "client_id": "Application (client) ID (Entra)",
    "api_endpoint": "Directory API endpoint (Google; advanced)",
    "authority_host": "Sign-in host (Entra; advanced)",
    "graph_url": "Graph URL (Entra; advanced)",
    "ca_bundle": "CA bundle path (advanced)",
}


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


class IdentitySourceForm(forms.ModelForm):
    admin_email = forms.CharField(label=CONNECTION_FIELDS["admin_email"], required=False)
    customer = forms.CharField(label=CONNECTION_FIELDS["customer"], required=False)
    domain = forms.CharField(label=CONNECTION_FIELDS["domain"], required=False)
    tenant_id = forms.CharField(label=CONNECTION_FIELDS["tenant_id"], required=False)
    client_id = forms.CharField(label=CONNECTION_FIELDS["client_id"], required=False)
    api_endpoint = forms.CharField(label=CONNECTION_FIELDS["api_endpoint"], required=False)
    authority_host = forms.CharField(label=CONNECTION_FIELDS["authority_host"], required=False)
    graph_url = forms.CharField(label=CONNECTION_FIELDS["graph_url"], required=False)
    ca_bundle = forms.CharField(label=CONNECTION_FIELDS["ca_bundle"], required=False)
    service_account_json = forms.CharField(
        label="Service-account JSON key (Google)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=WRITE_ONLY,
    )
    client_secret = forms.CharField(
        label="Client secret (Entra)",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=WRITE_ONLY,
    )
    scope_text = forms.CharField(
        label="Departments, managers' emails, org units or group ids",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line; ignored when the scope is everyone.",
    )
    mapping_overrides = forms.JSONField(
        required=False,
        help_text='Provider field per attribute, e.g. {"location": "orgUnitPath"}. '
        "The mapping in use is shown below.",
    )

    class Meta:
        model = IdentitySource
        fields = [
            "name",
            "kind",
            "scope_kind",
            "mapping_overrides",
            "sync_interval_minutes",
            "is_enabled",
            "guard_mode",
            "guard_value",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in CONNECTION_FIELDS:
            self.initial[key] = (self.instance.connection or {}).get(key, "")
        # A person who may only look (an Auditor) gets a form without fields.
        if self.instance.pk and "kind" in self.fields:
            self.fields["kind"].disabled = True
            self.initial["scope_text"] = "\n".join(self.instance.scope_values or [])

    def _post_clean(self) -> None:
        # Validation belongs to the service.
        pass

    def save_through_services(self, *, by: Any) -> IdentitySource:
        data = self.cleaned_data
        connection = {k: data.get(k, "") for k in CONNECTION_FIELDS}
        credentials: dict[str, Any] = {}
        if data.get("service_account_json"):
            credentials["service_account_info"] = data["service_account_json"]
        if data.get("client_secret"):
            credentials["client_secret"] = data["client_secret"]
        options = {
            "scope_kind": data["scope_kind"],
            "scope_values": [
                line.strip() for line in (data.get("scope_text") or "").splitlines() if line.strip()
            ],
            "mapping_overrides": data.get("mapping_overrides") or {},
            "sync_interval_minutes": data["sync_interval_minutes"],
            "is_enabled": data["is_enabled"],
            "guard_mode": data["guard_mode"],
            "guard_value": data["guard_value"] or 0,
        }
        if self.instance.pk:
            return idp_services.update_source(
                self.instance, by=by, connection=connection, credentials=credentials, **options
            )
        return idp_services.connect_source(
            by=by,
            name=data["name"],
            kind=data["kind"],
            connection=connection,
            credentials=credentials,
            **options,
        )

    def show_domain_error(self, exc: DomainError) -> None:
        self.add_error(None, exc.message)


class InviteForm(UnfoldWidgetsMixin, forms.Form):
    invite_mode = forms.ChoiceField(
        choices=IdentitySource.InviteMode.choices,
        initial=IdentitySource.InviteMode.NONE,
        widget=forms.RadioSelect,
    )
    invite_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def _runs_table(runs: Any) -> str:
    rows = [
        (
            format_html(
                '<a href="{}">#{}</a>',
                reverse("admin:provisioning_syncrun_change", args=[run.pk]),
                run.pk,
            ),
            run.get_status_display(),
            run.get_trigger_display(),
            "changes" if run.is_incremental else "full",
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{run.duration:.1f} s" if run.duration is not None else "-",
            f"{run.count_new} new, {run.count_updated} updated, {run.count_deactivated} "
            f"deactivated, {run.count_reactivated} reactivated, {run.count_skipped} staff skipped, "
            f"{run.count_errors} errors",
        )
        for run in runs
    ]
    return _table(["Run", "Status", "Trigger", "Read", "Started", "Took", "Counts"], rows)


@admin.register(IdentitySource)
class IdentitySourceAdmin(ServiceAdmin):
    form = IdentitySourceForm
    list_display = ("name", "kind", "status_label", "scope_kind", "last_synced_at", "is_enabled")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    actions_detail = ("test_detail", "sync_detail", "dry_run_detail")

    def get_fieldsets(self, request: HttpRequest, obj: IdentitySource | None = None) -> list:
        sets: list = [
            (None, {"fields": ["name", "kind"]}),
            (
                "Connection",
                {"fields": [*CONNECTION_FIELDS, "service_account_json", "client_secret"]},
            ),
            ("Who", {"fields": ["scope_kind", "scope_text"]}),
            ("Mapping", {"fields": ["mapping_overrides"]}),
            (
                "Schedule and safety",
                {"fields": ["sync_interval_minutes", "is_enabled", "guard_mode", "guard_value"]},
            ),
        ]
        if obj is not None:
            sets.insert(0, ("Status", {"fields": ["status_panel"]}))
            sets.append(("Mapping in use", {"fields": ["mapping_panel", "departments_panel"]}))
            sets.append(("Runs", {"fields": ["runs_panel"]}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        if obj is None:
            return []
        return ["status_panel", "mapping_panel", "departments_panel", "runs_panel"]

    @display(
        description="Status",
        label={"connected": "success", "new": "info", "failing": "danger", "paused": "warning"},
    )
    def status_label(self, obj: IdentitySource) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="State")
    def status_panel(self, obj: IdentitySource) -> str:
        return format_html(
            "<p><strong>{}</strong></p><p>{}</p><p>Credentials: {}. Invitations: {}.</p>",
            obj.get_status_display(),
            obj.last_error
            or (
                f"Last synced {obj.last_synced_at:%Y-%m-%d %H:%M}"
                if obj.last_synced_at
                else "Not synced yet."
            ),
            "stored (encrypted)" if obj.has_credentials else "missing",
            obj.get_invite_mode_display(),
        )

    @display(description="Provider field per attribute")
    def mapping_panel(self, obj: IdentitySource) -> str:
        defaults = idp_services.default_mapping(obj.kind)
        try:
            used = idp_services.mapping_for(obj)
        except DomainError as exc:
            return exc.message
        rows = [
            (
                name.replace("_", " "),
                used.get(name, ""),
                "changed" if used.get(name) != defaults.get(name) else "default",
            )
            for name in MAPPED_ATTRIBUTES
        ]
        return _table(["Attribute", "Provider field", ""], rows)

    @display(description="Departments in the provider")
    def departments_panel(self, obj: IdentitySource) -> str:
        return ", ".join(obj.known_departments) or "Read after the first full run of everyone."

    @display(description="History")
    def runs_panel(self, obj: IdentitySource) -> str:
        return _runs_table(obj.runs.all()[:SHOWN])

    def _press(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
        titles = {"test": "Test connection", "sync": "Sync now", "dry_run": "Dry run"}
        if request.method != "POST" or request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": f"{titles[name]}: {source.name}?",
                "opts": self.opts,
                "question": f"{titles[name]} for {source}.",
                "button": titles[name],
                "cancel_url": change_url,
            }
            return TemplateResponse(request, TEMPLATE, context)
        try:
            if name == "test":
                result = idp_services.test_connection(source, by=request.user)
                level = messages.SUCCESS if result.ok else messages.ERROR
                self.message_user(request, result.message, level)
                return HttpResponseRedirect(change_url)
            run = idp_services.run_sync(source, by=request.user, dry_run=name == "dry_run")
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        level = messages.ERROR if run.status == SyncRun.Status.FAILED else messages.SUCCESS
        self.message_user(request, f"Run #{run.pk}: {run.get_status_display()}.", level)
        return HttpResponseRedirect(reverse("admin:provisioning_syncrun_change", args=[run.pk]))

    @action(description="Test connection", url_path="test", permissions=["change"])
    def test_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "test")

    @action(description="Sync now", url_path="sync", permissions=["change"])
    def sync_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "sync")

    @action(description="Dry run", url_path="dry-run", permissions=["change"])
    def dry_run_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._press(request, object_id, "dry_run")

    def delete_model(self, request: HttpRequest, obj: IdentitySource) -> None:
        idp_services.delete_source(obj, by=request.user)


@admin.register(SyncRun)
class SyncRunAdmin(ModelAdmin):
    list_display = ("__str__", "source", "status", "trigger", "started_at", "took", "summary")
    list_filter = ("status", "trigger", "source")
    list_select_related = ("source",)
    actions_detail = ("confirm_detail", "approve_detail", "reject_detail")
    fields = (
        "source",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "summary_panel",
        "preview_panel",
        "linked_panel",
        "conflicts_panel",
        "errors_panel",
        "decided_by",
        "decided_at",
        "invite_note",
        "error_message",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description="Took")
    def took(self, obj: SyncRun) -> str:
        return f"{obj.duration:.1f} s" if obj.duration is not None else "-"

    @display(description="Counts")
    def summary(self, obj: SyncRun) -> str:
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in obj.counts.items() if v)

    @display(description="Counts")
    def summary_panel(self, obj: SyncRun) -> str:
        rows = [(k.replace("_", " "), v) for k, v in obj.counts.items()]
        rows.append(("deactivation limit", obj.deactivation_threshold))
        rows.append(("read", "changes only" if obj.is_incremental else "everything"))
        return _table(["", "People"], rows)

    @display(description="Preview (first rows of each kind)")
    def preview_panel(self, obj: SyncRun) -> str:
        if not obj.job_id:
            return "-"
        from provisioning.imports import selectors

        rows = []
        for kind in ("new", "update", "deactivate", "reactivate", "error"):
            for n, entry in enumerate(selectors.iter_import_rows(obj.job, [kind])):
                if n >= SHOWN:
                    break
                changes = entry.get("changes") or {}
                detail = "; ".join(
                    f"{field}: {old or '—'} → {new or '—'}" for field, (old, new) in changes.items()
                ) or "; ".join(e["message"] for e in entry.get("errors", []))
                rows.append((kind, entry.get("email", ""), detail))
        return _table(["Change", "Email", "Detail"], rows)

    @display(description="Already in Roster: linked, not duplicated")
    def linked_panel(self, obj: SyncRun) -> str:
        return _table(["Email", "Came from"], [(e["email"], e["from"]) for e in obj.linked[:SHOWN]])

    @display(description="Held by another source (left alone)")
    def conflicts_panel(self, obj: SyncRun) -> str:
        return _table(
            ["Email", "Source"], [(e["email"], e["source"]) for e in obj.conflicts[:SHOWN]]
        )

    @display(description="Errors")
    def errors_panel(self, obj: SyncRun) -> str:
        return _table(
            ["Email", "Problem"], [(e["email"], e["message"]) for e in obj.errors[:SHOWN]]
        )

    def _decide(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if not request.user.has_perm("provisioning.change_identitysource"):
            raise PermissionDenied
        run = self.get_object(request, unquote(object_id))
        if run is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        url = reverse("admin:provisioning_syncrun_change", args=[run.pk])
        titles = {"confirm": "Confirm and import", "approve": "Approve", "reject": "Reject"}
        invite_form = InviteForm(request.POST or None) if name == "confirm" else None
        posted = request.method == "POST" and request.POST.get("confirm") == "yes"
        if not posted or (invite_form is not None and not invite_form.is_valid()):
            affected = list(idp_services.deactivations_of(run))
            context = {
                **self.admin_site.each_context(request),
                "title": f"{titles[name]}: run #{run.pk} of {run.source.name}?",
                "opts": self.opts,
                "question": f"{titles[name]} run #{run.pk} of {run.source}: {self.summary(run)}.",
                "button": titles[name],
                "cancel_url": url,
                "invite_form": invite_form,
                "affected": affected[:200],
                "affected_total": len(affected),
                "affected_more": len(affected) > 200,
            }
            return TemplateResponse(request, TEMPLATE, context)
        try:
            if name == "confirm":
                assert invite_form is not None
                run = idp_services.confirm_first_run(
                    run,
                    by=request.user,
                    invite_mode=invite_form.cleaned_data["invite_mode"],
                    invite_at=invite_form.cleaned_data.get("invite_at"),
                )
            elif name == "approve":
                run = idp_services.approve_run(run, by=request.user)
            else:
                run = idp_services.reject_run(run, by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(url)
        level = messages.ERROR if run.status == SyncRun.Status.FAILED else messages.SUCCESS
        self.message_user(request, f"Run #{run.pk}: {run.get_status_display()}.", level)
        return HttpResponseRedirect(url)

    @action(description="Confirm first run", url_path="confirm", permissions=["decide"])
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "confirm")

    @action(description="Approve", url_path="approve", permissions=["decide"])
    def approve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "approve")

    @action(description="Reject", url_path="reject", permissions=["decide"])
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "reject")

    def has_decide_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("provisioning.change_identitysource")


__all__ = ["IdentitySourceAdmin", "SyncRunAdmin"]
