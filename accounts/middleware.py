"""Require staff to set up TOTP before using the admin, when the organisation asks."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Signing in and out of the admin must keep working before TOTP is set up.
_OPEN_ADMIN_PATHS = ("/admin/login/", "/admin/logout/")


class RequireStaffMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.ROSTER_REQUIRE_STAFF_MFA
            and request.path.startswith("/admin/")
            and not request.path.startswith(_OPEN_ADMIN_PATHS)
            and request.user.is_authenticated
            and request.user.is_staff
            and not _has_totp(request.user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
