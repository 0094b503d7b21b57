"""API tokens: scripts call the REST API as a person, with that person's role.

A token is random (``rst_`` + 43 URL-safe characters); only its SHA-256 is
stored, so a database leak reveals no usable token. It is shown once, when
issued (admin page or ``manage.py api_token create``). Requests send it as
``Authorization: Bearer <token>`` (or ``Token <token>``). A revoked token, or
one whose person is deactivated, is refused with 401.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from unfold.admin import ModelAdmin

from accounts.actors import Actor, describe, signed_in
from accounts.audit import SET, record_setting_event
from accounts.exceptions import InvalidPerson
from accounts.models import ApiToken, LifecycleEvent, Person
from accounts.roles import Role
from accounts.services import require

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "rst_"
PREFIX_LENGTH = 12
MAX_TOKEN_LENGTH = 200
LAST_USED_EVERY = timedelta(minutes=1)
SCHEMES = ("bearer", "token")


@dataclass(frozen=True)
class IssuedToken:
    """A new token row and the token itself, which is shown this once."""

    api_token: ApiToken
    token: str


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of ``token``, the only form the database holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- services -----------------------------------------------------------------


def token_problems(person: Person | None, name: str) -> dict[str, str]:
    """Return {field: problem} that stop a token for ``person`` named ``name``."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name that says what uses it."
    elif len(name) > 100:
        errors["name"] = "Token names are limited to 100 characters."
    elif person and find_live_token(person, name) is not None:
        errors["name"] = f"{person} already has a token named {name}."
    if person is None:
        errors["person"] = "Choose the person the token acts as."
    elif person.status != Person.Status.ACTIVE:
        errors["person"] = f"{person} is not active, so a token for them would be refused."
    elif person.role == Role.NONE:
        errors["person"] = f"{person} has no admin role, so a token for them could do nothing."
    return errors


@transaction.atomic
def issue_api_token(person: Person, *, name: str, by: Person | Actor) -> IssuedToken:
    """Create a token acting as ``person``; return it with the secret, shown once.

    Only System administrators may issue tokens. Raises NotAllowed, or
    InvalidPerson when the name is blank, too long or already used by one of
    the person's live tokens, or when the person is not active or has no
    admin role (a token could do nothing).
    """
    require(by, "accounts.add_apitoken")
    name = (name or "").strip()
    errors = token_problems(person, name)
    if errors:
        raise InvalidPerson(errors)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            api_token = ApiToken.objects.create(
                person=person,
                name=name,
                prefix=token[:PREFIX_LENGTH],
                token_hash=hash_token(token),
                created_by_label=describe(by)[1][:300],
            )
    except IntegrityError as exc:
        raise InvalidPerson({"name": f"{person} already has a token named {name}."}) from exc
    _audit(
        api_token,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes={"name": [None, name], "person": [None, person.email], "token": SET},
    )
    logger.info("API token %s for %s issued by %s", api_token.prefix, person.email, by)
    return IssuedToken(api_token=api_token, token=token)


@transaction.atomic
def revoke_api_token(api_token: ApiToken, *, by: Person | Actor) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes nothing.

    System administrators may revoke any token; a person may revoke their own.
    """
    if not (isinstance(by, Person) and by.pk == api_token.person_id):
        require(by, "accounts.change_apitoken")
    api_token = ApiToken.objects.select_for_update().get(pk=api_token.pk)
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        _audit(api_token, LifecycleEvent.Action.TOKEN_REVOKED, by=by)
        logger.info("API token %s revoked by %s", api_token.prefix, by)
    return api_token


def _audit(api_token: ApiToken, action: str, *, by: Person | Actor, **kwargs: Any) -> None:
    label = f"{api_token.name} of {api_token.person.email} (#{api_token.pk})"
    record_setting_event(LifecycleEvent.SubjectKind.API_TOKEN, label, action, by=by, **kwargs)


def find_live_token(person: Person, name: str) -> ApiToken | None:
    """Return ``person``'s unrevoked token called ``name``, or None."""
    return ApiToken.objects.filter(person=person, name=name, revoked_at__isnull=True).first()


def authenticate_token(token: str) -> ApiToken | None:
    """Return the live token row for ``token`` with its person loaded, or None.

    One indexed lookup by hash. The last-used time is written at most once a
    minute per token.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    api_token = (
        ApiToken.objects.select_related("person")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if api_token is None or not api_token.person.is_active:
        return None
    if cache.add(f"api_token:used:{api_token.pk}", 1, int(LAST_USED_EVERY.total_seconds())):
        now = timezone.now()
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now
    return api_token


# --- DRF authentication -------------------------------------------------------


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` (or ``Token <token>``) as the token's person.

    ``request.auth`` is the ApiToken. No CSRF check: the header cannot be
    sent by another site's form.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Person, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>'."
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        api_token = authenticate_token(token)
        if api_token is None:
            raise exceptions.AuthenticationFailed(
                "The token is not valid: unknown, revoked, or its person is deactivated."
            )
        return api_token.person, api_token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="Roster API"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token issued by a System administrator "
            "(`manage.py api_token create EMAIL NAME`).",
        }


# --- admin ------------------------------------------------------------------


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["person", "name"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is None:
            for name, problem in token_problems(
                cleaned.get("person"), cleaned.get("name") or ""
            ).items():
                if name not in self.errors:
                    self.add_error(name, problem)
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    """System administrators issue tokens (shown once) and revoke them."""

    form = ApiTokenForm

    list_display = ("name", "person", "prefix", "state", "last_used_at", "created_at")
    list_select_related = ("person",)
    search_fields = ("name", "prefix", "person__email")
    autocomplete_fields = ("person",)
    actions = ("revoke_selected",)
    readonly_fields = ("prefix", "state", "created_by_label", "created_at", "last_used_at")

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        return "Revoked" if obj.is_revoked else "Active"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("person", "name")
        return ("person", "name", *self.readonly_fields, "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("person", "name", *self.readonly_fields, "revoked_at")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        issued = issue_api_token(
            form.cleaned_data["person"], name=form.cleaned_data["name"], by=signed_in(request)
        )
        obj.pk = issued.api_token.pk
        obj.prefix = issued.api_token.prefix
        obj.token_hash = issued.api_token.token_hash
        obj.created_at = issued.api_token.created_at
        messages.warning(
            request,
            format_html(
                "The token {} is <code>{}</code>. Copy it now: Roster keeps only its hash "
                "and will not show it again.",
                issued.api_token.name,
                issued.token,
            ),
        )

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        names = []
        for api_token in queryset.select_related("person"):
            revoke_api_token(api_token, by=signed_in(request))
            names.append(f"{api_token.name} ({api_token.person})")
        messages.success(request, f"Revoked: {', '.join(names)}.")
