"""The Organisation settings page: name, logo, time zone, phone region, invitation timing.

One page, not a list: the model's changelist URL shows the settings in
force (the environment's until first saved) as a form, and saving calls
``accounts.services.update_organisation``. Auditors read it; System
administrators change it.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import phonenumbers
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.admin import ModelAdmin

from accounts import services
from accounts.actors import signed_in
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError, InvalidPerson
from accounts.models import Organisation
from accounts.models.organisation import LOGO_MAX_BYTES
from accounts.organisation import current_organisation
from accounts.services.organisation import MAX_EXPIRY_DAYS

TEMPLATE = "admin/accounts/organisation/settings.html"
LOGO_ACCEPT = "image/png,image/jpeg,image/gif,image/webp"


class OrganisationForm(UnfoldWidgetsMixin, forms.Form):
    """What the Organisation page edits; the service checks every value."""

    name = forms.CharField(
        label="Organisation name",
        max_length=100,
        error_messages={"required": "Enter the organisation's name."},
        help_text="Shown in invitation emails, on the claim page and on sign-in pages.",
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG, GIF or WebP, at most 200 KB. Shown on the claim page.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    time_zone = forms.ChoiceField(
        label="Default time zone",
        help_text="Dates and times in the admin, and scheduled invitations, use it.",
    )
    phone_region = forms.ChoiceField(
        label="Phone region",
        help_text="Country assumed for phone numbers typed without +country code.",
    )
    invite_expiry_days = forms.IntegerField(
        label="Claim links stay valid for (days)",
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Counted from the latest email sent.",
    )
    reminder_days = forms.CharField(
        label="Send reminders after (days)",
        required=False,
        max_length=100,
        help_text="Days after the invitation, comma-separated (e.g. 3, 5). Empty: no reminders.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = [(zone, zone) for zone in zones]
        regions = sorted(phonenumbers.SUPPORTED_REGIONS)
        phone_region = self.fields["phone_region"]
        assert isinstance(phone_region, forms.ChoiceField)
        phone_region.choices = [
            (code, f"{code} (+{phonenumbers.country_code_for_region(code)})") for code in regions
        ]


@admin.register(Organisation)
class OrganisationAdmin(ModelAdmin):
    """The organisation's settings as one form (no list, no add, no delete)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.change_organisation")

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        return HttpResponseRedirect(reverse("admin:accounts_organisation_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        may_change = self.has_change_permission(request)
        current = current_organisation()
        initial = {
            "name": current.name,
            "time_zone": current.time_zone,
            "phone_region": current.phone_region,
            "invite_expiry_days": current.invite_expiry_days,
            "reminder_days": current.reminder_days_text,
        }
        if request.method == "POST":
            if not may_change:
                raise PermissionDenied
            form = OrganisationForm(request.POST, request.FILES, initial=initial)
            if form.is_valid():
                saved = self._save(request, form)
                if saved:
                    return HttpResponseRedirect(request.path)
        else:
            form = OrganisationForm(initial=initial)
        if not may_change:
            for field in form.fields.values():
                field.disabled = True
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": "Organisation",
            "opts": self.opts,
            "form": form,
            "may_change": may_change,
            "organisation": current,
            **(extra_context or {}),
        }
        return TemplateResponse(request, TEMPLATE, context)

    def _save(self, request: HttpRequest, form: OrganisationForm) -> bool:
        data = form.cleaned_data
        upload = data.get("logo")
        try:
            services.update_organisation(
                by=signed_in(request),
                name=data["name"],
                time_zone=data["time_zone"],
                phone_region=data["phone_region"],
                invite_expiry_days=data["invite_expiry_days"],
                reminder_days=data.get("reminder_days") or "",
                logo=upload.read(LOGO_MAX_BYTES + 1) if upload else None,
                remove_logo=bool(data.get("remove_logo")),
            )
        except InvalidPerson as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
            return False
        except DomainError as exc:
            form.add_error(None, exc.message)
            return False
        self.message_user(request, "The organisation's settings were saved.", messages.SUCCESS)
        return True
