"""The SCIM target's settings form: secrets write-only, scopes as lists, saved through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html

from accounts.exceptions import DomainError
from provisioning.scim import mapping, services
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.group_batch import MAX_BATCH
from provisioning.scim.models import ScimTarget

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
    scope_groups = forms.ModelMultipleChoiceField(
        queryset=ScimTarget._meta.apps.get_model("accounts", "Group").objects.order_by("name"),
        required=False,
        label="Groups to push",
        help_text="With “Push groups” ticked: the groups this target receives, with "
        "their members. None selected means every group.",
    )
    attribute_mapping = forms.JSONField(
        required=False,
        help_text=format_html(
            "Overrides of the default mapping, e.g. {}. Defaults: {}",
            '{"title": "department", "nickName": "first_name"}',
            ", ".join(f"{k} = {v}" for k, v in mapping.DEFAULT_MAPPING.items()),
        ),
    )

    full_sync = forms.ChoiceField(
        label="Full sync",
        required=False,
        choices=ScimTarget.FullSync.choices,
        help_text="Compare every person in scope with the target and repair what drifted "
        "there (users changed or removed on the target). Changes are pushed as they happen "
        "either way. Not run while the target is disabled or paused.",
    )
    full_sync_hour = forms.TypedChoiceField(
        label="At",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        help_text="In the organisation's time zone.",
    )
    full_sync_weekday = forms.TypedChoiceField(
        label="On (weekly)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=ScimTarget.Weekday.choices,
    )
    group_batch_size = forms.IntegerField(
        label="Members per request",
        required=False,
        min_value=1,
        max_value=MAX_BATCH,
        help_text="Group members added or removed per PATCH. Leave empty for automatic: "
        "what fits the target's advertised limits, halved whenever it refuses a request "
        "as too large.",
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
            "push_groups",
            "scope_groups",
            "deactivation",
            "rate_limit",
            "pause_after_failures",
            "attribute_mapping",
            "full_sync",
            "full_sync_hour",
            "full_sync_weekday",
            "group_batch_size",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("scope_departments", "scope_locations"):
                self.initial[name] = ", ".join(getattr(self.instance, name) or [])
            self.initial["scope_groups"] = list(self.instance.scope_groups or [])

    def _split(self, name: str) -> list[str]:
        raw = self.cleaned_data.get(name) or ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def clean_scope_departments(self) -> list[str]:
        return self._split("scope_departments")

    def clean_scope_locations(self) -> list[str]:
        return self._split("scope_locations")

    def clean_scope_groups(self) -> list[int]:
        return sorted(g.pk for g in self.cleaned_data.get("scope_groups") or [])

    def _kept(self, name: str) -> Any:
        # Absent from the request (an older form, a script): keep what is set.
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return getattr(self.instance, name)
        return value

    def clean_full_sync(self) -> str:
        return str(self._kept("full_sync"))

    def clean_full_sync_hour(self) -> int:
        return int(self._kept("full_sync_hour"))

    def clean_full_sync_weekday(self) -> int:
        return int(self._kept("full_sync_weekday"))

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
