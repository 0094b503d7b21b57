"""SCIM clients in the admin panel: System administrators issue and revoke them.

The token is shown once, in the message after saving a new client. Auditors
may look; only roles holding ``provisioning.*_scimclient`` may change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from provisioning.scim_server import services
from provisioning.scim_server.models import ScimClient


class ScimClientForm(forms.ModelForm):
    class Meta:
        model = ScimClient
        fields = ["name", "auto_invite"]

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        taken = ScimClient.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"A SCIM client named {name} already exists.")
        return name


@admin.register(ScimClient)
class ScimClientAdmin(ModelAdmin):
    form = ScimClientForm
    list_display = (
        "name",
        "token_prefix",
        "state",
        "auto_invite",
        "last_used_at",
        "created_at",
        "created_by",
    )
    list_select_related = ("created_by",)
    search_fields = ("name", "token_prefix")
    actions = ("revoke_selected",)
    readonly_fields = (
        "token_prefix",
        "state",
        "created_by",
        "created_at",
        "revoked_at",
        "last_used_at",
    )

    @admin.display(description="State")
    def state(self, obj: ScimClient) -> str:
        return "Active" if obj.is_active else "Revoked"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("name", *self.readonly_fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("name", "auto_invite")
        return ("name", "auto_invite", *self.readonly_fields)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ScimClient, form: Any, change: bool) -> None:
        try:
            if change:
                services.set_client_auto_invite(
                    obj, auto_invite=form.cleaned_data["auto_invite"], by=signed_in(request)
                )
                return
            issued = services.issue_client(
                form.cleaned_data["name"],
                auto_invite=form.cleaned_data["auto_invite"],
                by=signed_in(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            raise
        obj.pk = issued.client.pk
        obj.token_hash = issued.client.token_hash
        obj.token_prefix = issued.client.token_prefix
        obj.created_at = issued.client.created_at
        messages.warning(
            request,
            format_html(
                "The token for {} is <code>{}</code>. Copy it now into the identity "
                "provider: Roster keeps only its hash and will not show it again.",
                issued.client.name,
                issued.token,
            ),
        )

    @admin.action(description="Revoke the selected clients' tokens", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ScimClient]) -> None:
        names = []
        for client in queryset:
            services.revoke_client(client, by=signed_in(request))
            names.append(client.name)
        messages.success(request, f"Revoked: {', '.join(names)}.")
