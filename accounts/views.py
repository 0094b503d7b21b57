"""Claiming an invitation, asking for a new link, and the person's own account page.

Thin: each view parses the form, calls one service or selector and renders.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.conf import settings
from django.contrib.auth import login
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
from accounts.invitations.ratelimit import consume
from accounts.organisation import current_organisation

# A claim link carries a secret: no page it opens may pass it on in Referer
# to another site. Not "no-referrer": under it browsers send "Origin: null"
# with the form's own POST, which CSRF protection rightly refuses.
REFERRER_POLICY = "same-origin"


class ClaimForm(forms.Form):
    first_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"class": "input"})
    )
    last_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"class": "input"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "input"}),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "input"}),
    )

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
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "input"})
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


def _too_many(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "accounts/claim/too_many.html", status=429))


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, token: str) -> HttpResponse:
    """Show the claim form (GET never consumes the link); the POST claims the account."""
    if not consume("claim", settings.ROSTER_CLAIM_RATE_LIMIT, ip=_client_ip(request)):
        return _too_many(request)
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
            return _too_many(request)
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
        {"person": request.user, "organisation": current_organisation().name},
    )
