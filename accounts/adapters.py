"""allauth hooks: Roster creates people through its services, never by self sign-up."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoTokenGenerator
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts import crypto
from accounts.organisation import current_organisation


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People are added by administrators, spreadsheets and integrations,
        # and join by claiming an invitation.
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Staff land in the admin (LOGIN_REDIRECT_URL); everyone else on their
        # own account page. An explicit ?next= still wins.
        if not request.user.is_staff:
            try:
                return reverse("accounts:your-account")
            except NoReverseMatch:
                pass
        return super().get_login_redirect_url(request)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # Someone who signed in a moment ago (for instance a staff member sent
        # straight from sign-in to set up two-factor authentication) is not
        # asked for the password again within the reauthentication window.
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = context.request
        if required and request is not None and request.user.is_authenticated:
            records = get_authentication_records(request, request.user)
            if records:
                age = time.time() - records[-1]["at"]
                return age >= account_settings.REAUTHENTICATION_TIMEOUT
        return required


class PasswordResetTokenGenerator(DjangoTokenGenerator):
    """Reset links that stop working once the person is deactivated.

    Django's hash already covers the password, last sign-in and email; the
    security stamp (rotated on deactivation) and the active flag make a link
    sent before a deactivation useless afterwards, even after reactivation.
    """

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        stamp = getattr(user, "security_stamp", "")
        return f"{super()._make_hash_value(user, timestamp)}|{stamp}|{int(user.is_active)}"


class MFAAdapter(DefaultMFAAdapter):
    """Store TOTP keys and recovery-code seeds encrypted with Roster's key.

    Values written before encryption was turned on are read as they are
    (migration accounts.0007 encrypts them). Authenticator apps list the
    account under the organisation's name from its settings page.
    """

    def get_totp_issuer(self) -> str:
        return current_organisation().name or super().get_totp_issuer()

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        if not crypto.is_encrypted(encrypted_text):
            return encrypted_text
        return crypto.decrypt(encrypted_text)
