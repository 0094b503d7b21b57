"""The allowed email domains admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts import services
from accounts.actors import signed_in
from accounts.admin.base import ServiceAdmin
from accounts.forms import AllowedDomainForm
from accounts.models import AllowedDomain


@admin.register(AllowedDomain)
class AllowedDomainAdmin(ServiceAdmin):
    """The email domains people may have: added and removed, never edited."""

    form = AllowedDomainForm
    list_display = ("domain", "is_verified", "created_at")
    search_fields = ("domain",)

    def get_fieldsets(self, request: HttpRequest, obj: AllowedDomain | None = None) -> list:
        fields = (
            ["domain", "is_verified"] if obj is None else ["domain", "is_verified", "created_at"]
        )
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["created_at"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_alloweddomain")

    # A domain is removed and added again rather than edited.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.change_alloweddomain")

    def delete_model(self, request: HttpRequest, obj: AllowedDomain) -> None:
        services.remove_allowed_domain(obj, by=signed_in(request))
