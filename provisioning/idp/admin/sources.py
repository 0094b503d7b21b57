"""The admin for identity-provider sources (System administrators).

Saving goes through ``idp_services.connect_source``/``update_source``; the
buttons (Test connection, Sync now, Dry run) are unfold detail actions: a
confirmation page on GET, one service call on POST. Credentials are
write-only: the form never shows them.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
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
from provisioning.idp import services as idp_services
from provisioning.idp.admin.common import SHOWN, TEMPLATE, runs_table
from provisioning.idp.admin.groups import choose_groups_view, groups_panel
from provisioning.idp.mapping import MAPPED_ATTRIBUTES
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.idp.services import schedules

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
    sync_every = forms.ChoiceField(
        label="Sync",
        choices=schedules.SYNC_CHOICES,
        initial="60",
        help_text="Scheduled syncs start once an administrator confirmed the first run. "
        "Manually only: the source syncs when Sync now is pressed.",
    )

    class Meta:
        model = IdentitySource
        fields = [
            "name",
            "kind",
            "scope_kind",
            "mapping_overrides",
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
        if "sync_every" in self.fields:
            self._offer_current_interval()

    def _offer_current_interval(self) -> None:
        source = self.instance
        if not source.pk:
            return
        minutes = str(source.sync_interval_minutes)
        field = self.fields["sync_every"]
        assert isinstance(field, forms.ChoiceField)
        choices = list(schedules.SYNC_CHOICES)
        if minutes not in dict(choices):
            # An interval set through the API stays selectable, so saving
            # the page does not change it.
            label = schedules.describe_interval(source.sync_interval_minutes)
            choices.insert(0, (minutes, label))
        field.choices = choices
        self.initial["sync_every"] = minutes if source.is_enabled else schedules.MANUAL

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
        every = data["sync_every"]
        manual = every == schedules.MANUAL
        options = {
            "scope_kind": data["scope_kind"],
            "scope_values": [
                line.strip() for line in (data.get("scope_text") or "").splitlines() if line.strip()
            ],
            "mapping_overrides": data.get("mapping_overrides") or {},
            # Manually only keeps the interval, for when a schedule is chosen again.
            "sync_interval_minutes": (self.instance.sync_interval_minutes if manual else int(every))
            or 60,
            "is_enabled": not manual,
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


@admin.register(IdentitySource)
class IdentitySourceAdmin(ServiceAdmin):
    form = IdentitySourceForm
    list_display = ("name", "kind", "status_label", "scope_kind", "last_synced_at", "schedule")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    actions_detail = ("test_detail", "sync_detail", "dry_run_detail", "groups_detail")

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
                {
                    "fields": [
                        "sync_every",
                        *(["schedule_panel"] if obj is not None else []),
                        "guard_mode",
                        "guard_value",
                    ]
                },
            ),
        ]
        if obj is not None:
            sets.insert(0, ("Status", {"fields": ["status_panel"]}))
            sets.append(("Groups", {"fields": ["groups_panel"]}))
            sets.append(("Mapping in use", {"fields": ["mapping_panel", "departments_panel"]}))
            sets.append(("Runs", {"fields": ["runs_panel"]}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        if obj is None:
            return []
        return [
            "status_panel",
            "schedule_panel",
            "groups_panel",
            "mapping_panel",
            "departments_panel",
            "runs_panel",
        ]

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

    @display(description="Schedule")
    def schedule(self, obj: IdentitySource) -> str:
        return schedules.describe_schedule(obj)

    @display(description="Next and last sync")
    def schedule_panel(self, obj: IdentitySource) -> str:
        zone = zoneinfo.ZoneInfo(current_organisation().time_zone)
        upcoming = schedules.next_sync_at(obj)
        next_text = (
            f"{upcoming.astimezone(zone):%Y-%m-%d %H:%M %Z}"
            if upcoming is not None
            else schedules.schedule_note(obj) or "Not scheduled."
        )
        run = obj.runs.filter(is_dry_run=False).first()
        if run is None:
            last_text = "Never."
        else:
            last_text = (
                f"{run.started_at.astimezone(zone):%Y-%m-%d %H:%M %Z} "
                f"({run.get_trigger_display()}): {run.get_status_display()}"
                + (f", {run.error_message}" if run.error_message else "")
            )
        return format_html(
            "<p>{}</p><p>Next sync: {}</p><p>Last sync: {}</p>",
            schedules.describe_schedule(obj),
            next_text,
            last_text,
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
        return table(["Attribute", "Provider field", ""], rows)

    @display(description="Departments in the provider")
    def departments_panel(self, obj: IdentitySource) -> str:
        return ", ".join(obj.known_departments) or "Read after the first full run of everyone."

    @display(description="Groups from the provider")
    def groups_panel(self, obj: IdentitySource) -> str:
        return groups_panel(obj)

    @display(description="History")
    def runs_panel(self, obj: IdentitySource) -> str:
        return runs_table(obj.runs.all()[:SHOWN])

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
                result = idp_services.test_connection(source, by=signed_in(request))
                level = messages.SUCCESS if result.ok else messages.ERROR
                self.message_user(request, result.message, level)
                return HttpResponseRedirect(change_url)
            run = idp_services.run_sync(source, by=signed_in(request), dry_run=name == "dry_run")
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

    @action(description="Choose groups", url_path="groups", permissions=["change"])
    def groups_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        source = self.get_object(request, unquote(object_id))
        if source is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return choose_groups_view(self, request, source)

    def delete_model(self, request: HttpRequest, obj: IdentitySource) -> None:
        idp_services.delete_source(obj, by=signed_in(request))
