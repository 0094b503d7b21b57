"""Claiming an invitation, asking for a new link, and the person's own account page.

Thin: each view parses the form, calls one service or selector and renders.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts.exceptions import InvalidPerson
from accounts.invitations import (
    InvitationError,
    RateLimited,
    claim_account,
    get_claimable_invitation,
    request_new_link,
)
from accounts.invitations.claims import mark_invitation_opened
from accounts.invitations.ratelimit import consume, longest_window
from accounts.organisation import current_organisation

# A claim link carries a secret: no page it opens may pass it on in Referer
# to another site. Not "no-referrer": under it browsers send "Origin: null"
# with the form's own POST, which CSRF protection rightly refuses.
REFERRER_POLICY = "same-origin"


def _name_input(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": autocomplete,
            "autocapitalize": "words",
            "spellcheck": "false",
            "class": "input",
        }
    )


def _new_password_input() -> forms.PasswordInput:
    return forms.PasswordInput(
        attrs={"autocomplete": "new-password", "autocapitalize": "none", "class": "input"}
    )


def _password_help() -> str:
    lengths = [
        validator.min_length
        for validator in password_validation.get_default_password_validators()
        if isinstance(validator, password_validation.MinimumLengthValidator)
    ]
    start = f"At least {max(lengths)} characters. " if lengths else ""
    return f"{start}Not a common password, and not one you use anywhere else."


class ClaimForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, widget=_name_input("given-name"))
    last_name = forms.CharField(max_length=150, required=False, widget=_name_input("family-name"))
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=_new_password_input(),
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=_new_password_input(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = _password_help()

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords differ.")
        if not (data.get("first_name") or "").strip() and not (data.get("last_name") or "").strip():
            self.add_error("first_name", "Enter your name.")
        return data


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "input",
            }
        ),
    )


def _client_ip(request: HttpRequest) -> str:
    return get_adapter().get_client_ip(request)


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = REFERRER_POLICY
    return response


def _link_problem(request: HttpRequest, exc: InvitationError) -> HttpResponse:
    status = 404 if exc.reason == "invalid" else 410
    return _private(
        render(
            request,
            "accounts/claim/link_problem.html",
            {
                "reason": exc.reason,
                "message": exc.message,
                "organisation": current_organisation().name,
            },
            status=status,
        )
    )


def _too_many(request: HttpRequest, rates: str) -> HttpResponse:
    seconds = longest_window(rates)
    response = render(
        request,
        "accounts/claim/too_many.html",
        {
            "organisation": current_organisation().name,
            "wait": _wait_text(seconds),
            "retry_url": request.get_full_path(),
        },
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return _private(response)


def _wait_text(seconds: int) -> str:
    if seconds >= 3600:
        hours = round(seconds / 3600)
        return "an hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, token: str) -> HttpResponse:
    """Show the claim form (GET never consumes the link); the POST claims the account."""
    if not consume("claim", settings.ROSTER_CLAIM_RATE_LIMIT, ip=_client_ip(request)):
        return _too_many(request, settings.ROSTER_CLAIM_RATE_LIMIT)
    try:
        invitation = get_claimable_invitation(token)
    except InvitationError as exc:
        return _link_problem(request, exc)
    person = invitation.person
    if request.method == "GET":
        mark_invitation_opened(invitation)
    form = ClaimForm(
        request.POST if request.method == "POST" else None,
        initial={"first_name": person.first_name, "last_name": person.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = claim_account(
                token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except InvitationError as exc:
            return _link_problem(request, exc)
        except InvalidPerson as exc:
            for name, message in exc.errors.items():
                form.add_error("password1" if name == "password" else name, message)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("accounts:your-account")
    return _private(
        render(
            request,
            "accounts/claim/claim.html",
            {
                "form": form,
                "person": person,
                "invitation": invitation,
                "organisation": current_organisation().name,
            },
        )
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def new_link(request: HttpRequest) -> HttpResponse:
    """Ask for a fresh claim link; the answer never says whether the email is known."""
    form = NewLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            request_new_link(form.cleaned_data["email"], client_ip=_client_ip(request))
        except RateLimited:
            return _too_many(request, settings.ROSTER_NEW_LINK_RATE_LIMIT)
        return _private(
            render(
                request,
                "accounts/claim/new_link_sent.html",
                {"organisation": current_organisation().name},
            )
        )
    return _private(
        render(
            request,
            "accounts/claim/new_link.html",
            {"form": form, "organisation": current_organisation().name},
        )
    )


@login_required
def your_account(request: HttpRequest) -> HttpResponse:
    """Show the signed-in person their profile and where to manage sign-in."""
    return render(
        request,
        "accounts/your_account.html",
        {
            "person": request.user,
            "organisation": current_organisation().name,
            "has_mfa": is_mfa_enabled(request.user),
        },
    )
