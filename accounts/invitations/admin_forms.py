"""The invitation form and the People list filters that the invitation admin adds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.invitations.selectors import (
    filter_delivery_failed,
    filter_invitation_expiring,
    filter_invitation_scheduled,
    filter_invited_not_claimed_for,
)
from accounts.models import Person


class InviteForm(UnfoldWidgetsMixin, forms.Form):
    """When to send, and an optional personal message."""

    when = forms.ChoiceField(
        choices=[("now", "Send now"), ("at", "Send at a date and time")],
        initial="now",
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Added to the email, under the greeting.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # DateTimeField reads a naive input in the current time zone.
        self.fields["send_at"].help_text = f"Time zone: {timezone.get_current_timezone_name()}."

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("when") == "at" and not data.get("send_at"):
            self.add_error("send_at", "Choose the date and time to send at.")
        return data

    @property
    def send_time(self) -> datetime | None:
        return self.cleaned_data["send_at"] if self.cleaned_data["when"] == "at" else None


class InvitedForFilter(admin.SimpleListFilter):
    title = "invited, not claimed"
    parameter_name = "invited_for"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(days), f"For more than {days} days") for days in (3, 7, 14, 30)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        value = self.value()
        if value and value.isdigit():
            return filter_invited_not_claimed_for(queryset, days=int(value))
        return queryset


class DeliveryFailedFilter(admin.SimpleListFilter):
    title = "invitation email"
    parameter_name = "invitation_email"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("failed", "Delivery failed"),
            ("scheduled", "Scheduled, not sent yet"),
            ("expiring", "Link expires within 2 days"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> QuerySet[Person]:
        if self.value() == "failed":
            return filter_delivery_failed(queryset)
        if self.value() == "scheduled":
            return filter_invitation_scheduled(queryset)
        if self.value() == "expiring":
            return filter_invitation_expiring(queryset, days=EXPIRING_DAYS)
        return queryset


EXPIRING_DAYS = 2


def changelist_filters(request: HttpRequest) -> str:
    """The People list's filters the action was started from.

    A list action's button links to a fixed URL, so the filters come from the
    page it was clicked on (the Referer), then travel in the form.
    """
    if "_changelist_filters" in request.POST:
        return request.POST["_changelist_filters"]
    if "_changelist_filters" in request.GET:
        return request.GET["_changelist_filters"]
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.path == reverse("admin:accounts_person_changelist"):
        return referer.query
    return ""


def changelist_url(filters: str) -> str:
    """The People list's URL with ``filters`` (a query string) applied."""
    url = reverse("admin:accounts_person_changelist")
    return f"{url}?{filters}" if filters else url
