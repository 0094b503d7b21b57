"""The allauth views Roster uses, and no others, mounted under /accounts/.

Sign-in, sign-out, password change and reset, and two-factor authentication.
Not mounted: email management (a person's email changes only through
accounts.services, audited and pushed downstream), email confirmation, login
by code and setting a first password (claiming an invitation does that).
Sign-up stays, to answer that accounts are by invitation.
"""

from __future__ import annotations

from allauth.account import urls as account_urls
from allauth.mfa import urls as mfa_urls
from django.urls import URLPattern, URLResolver, include, path

ACCOUNT_VIEWS = frozenset(
    {
        "account_login",
        "account_logout",
        "account_inactive",
        "account_signup",
        "account_reauthenticate",
        "account_change_password",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
    }
)
MFA_VIEWS = frozenset(
    {
        "mfa_index",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
    }
)


def _only(
    patterns: list[URLPattern | URLResolver], names: frozenset[str]
) -> list[URLPattern | URLResolver]:
    kept: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = _only(pattern.url_patterns, names)
            if inner:
                kept.append(path(str(pattern.pattern), include(inner)))
        elif pattern.name in names:
            kept.append(pattern)
    return kept


urlpatterns = [
    *_only(account_urls.urlpatterns, ACCOUNT_VIEWS),
    path("2fa/", include(_only(mfa_urls.urlpatterns, MFA_VIEWS))),
]
