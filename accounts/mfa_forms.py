"""allauth's two-factor forms with the input hints a phone needs (MFA_FORMS).

A TOTP code is digits only, so its field asks for the number pad; the
sign-in code field also takes a recovery code (letters too), so it keeps the
full keyboard but turns off capitalisation and correction.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.base.forms import AuthenticateForm as BaseAuthenticate
from allauth.mfa.base.forms import ReauthenticateForm as BaseReauthenticate
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTP

_CODE_HINTS = {
    "autocomplete": "one-time-code",
    "autocapitalize": "none",
    "autocorrect": "off",
    "spellcheck": "false",
}


class AuthenticateForm(BaseAuthenticate):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your app, or a recovery code"
        self.fields["code"].widget.attrs.update(_CODE_HINTS)


class ReauthenticateForm(BaseReauthenticate):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your app, or a recovery code"
        self.fields["code"].widget.attrs.update(_CODE_HINTS)


class ActivateTOTPForm(BaseActivateTOTP):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "6-digit code from your app"
        self.fields["code"].widget.attrs.update({**_CODE_HINTS, "inputmode": "numeric"})
