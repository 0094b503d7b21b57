"""Require staff to set up TOTP before using the admin or the API in a session,
when the organisation asks; show times in the organisation's time zone.

API tokens are separate credentials (issued by System administrators, hashed,
revoked on deactivation): a request that carries one is not a session request
and is not held back.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from accounts.organisation import current_organisation

# Signing in and out of the admin must keep working before TOTP is set up.
_OPEN_ADMIN_PATHS = ("/admin/login/", "/admin/logout/")
_GUARDED_PATHS = ("/admin/", "/api/")
MFA_REQUIRED = (
    "Your organisation requires two-factor authentication for staff: set up an "
    "authenticator app on your account page before using the admin or the API."
)


class RequireStaffMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.ROSTER_REQUIRE_STAFF_MFA
            and request.path.startswith(_GUARDED_PATHS)
            and not request.path.startswith(_OPEN_ADMIN_PATHS)
            and not _carries_api_token(request)
            and request.user.is_authenticated
            and request.user.is_staff
            and not _has_totp(request.user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "mfa_required", "message": MFA_REQUIRED, "fields": {}}},
                    status=403,
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _carries_api_token(request: HttpRequest) -> bool:
    # Such a request is authenticated by its token or refused (401): it never
    # falls back to the session. Any other Authorization header does.
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower()
    return scheme in ("bearer", "token")


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class OrganisationTimeZoneMiddleware:
    """Show and read dates and times in the organisation's time zone (Organisation page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            zone = zoneinfo.ZoneInfo(current_organisation().time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
