"""The REST API's shared behaviour: one error shape, pagination, throttling, parsing.

Every error answer has the same body::

    {"error": {"code": "invalid", "message": "…", "fields": {"email": ["…"]}}}

``fields`` is present (possibly empty) on every error; it names the input
fields at fault when there are any.

This module must not import rest_framework.views (nor drf_spectacular's
openapi): DRF imports the classes named in settings from here while it
builds APIView. Domain errors map to statuses here, so
views never translate them one by one.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, parsers, status, throttling
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.exceptions import (
    CannotDeleteClaimed,
    DomainError,
    IllegalTransition,
    InvalidPerson,
    NotAllowed,
)
from accounts.groups.exceptions import MembersAreComputed, UnknownMembers
from accounts.idempotency import (
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    RequestInProgress,
)
from accounts.invitations import RateLimited
from provisioning.exceptions import (
    ConfirmationRequired,
    FileTooLarge,
    ImportNotReady,
    StalePlan,
    UnreadableFile,
)
from provisioning.idp.services import SourceProblem, SyncInProgress
from provisioning.scim.exceptions import InvalidTarget, ScimTargetUnavailable

# (exception class, HTTP status, error code), most specific first.
DOMAIN_ERRORS: tuple[tuple[type[DomainError], int, str], ...] = (
    (InvalidPerson, status.HTTP_400_BAD_REQUEST, "invalid"),
    (InvalidTarget, status.HTTP_400_BAD_REQUEST, "invalid"),
    (InvalidIdempotencyKey, status.HTTP_400_BAD_REQUEST, "invalid_idempotency_key"),
    (UnreadableFile, status.HTTP_400_BAD_REQUEST, "unreadable_file"),
    (FileTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large"),
    (NotAllowed, status.HTTP_403_FORBIDDEN, "permission_denied"),
    (IllegalTransition, status.HTTP_409_CONFLICT, "illegal_transition"),
    (UnknownMembers, status.HTTP_400_BAD_REQUEST, "unknown_members"),
    (MembersAreComputed, status.HTTP_409_CONFLICT, "members_are_computed"),
    (CannotDeleteClaimed, status.HTTP_409_CONFLICT, "cannot_delete_claimed"),
    (IdempotencyKeyReused, status.HTTP_409_CONFLICT, "idempotency_key_reused"),
    (RequestInProgress, status.HTTP_409_CONFLICT, "request_in_progress"),
    (ConfirmationRequired, status.HTTP_409_CONFLICT, "confirmation_required"),
    (ImportNotReady, status.HTTP_409_CONFLICT, "import_not_ready"),
    (StalePlan, status.HTTP_409_CONFLICT, "stale_plan"),
    (ScimTargetUnavailable, status.HTTP_409_CONFLICT, "target_unavailable"),
    (SyncInProgress, status.HTTP_409_CONFLICT, "sync_in_progress"),
    (SourceProblem, status.HTTP_409_CONFLICT, "conflict"),
    (RateLimited, status.HTTP_429_TOO_MANY_REQUESTS, "throttled"),
)

# DRF's exception classes and the codes clients see for them.
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The cursor is not valid: use the next or previous link of an earlier page."
    default_code = "invalid"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the API's error body."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(name): _messages(value) for name, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_messages(item))
        return out
    if isinstance(value, dict):
        return [f"{key}: {msg}" for key, item in value.items() for msg in _messages(item)]
    return [str(value)]


def _domain_response(exc: DomainError) -> Response:
    code_status, code = next(
        ((http, name) for cls, http, name in DOMAIN_ERRORS if isinstance(exc, cls)),
        (status.HTTP_400_BAD_REQUEST, "invalid"),
    )
    fields = getattr(exc, "errors", None)
    body = error_body(
        code, exc.message, {name: [msg] for name, msg in fields.items()} if fields else None
    )
    return Response(body, status=code_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors and DRF's errors into the one error shape; 5xx stay 5xx."""
    # Imported here: rest_framework.views reads the parser and throttle
    # classes of this module when it is first imported.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next(
        (code for cls, code in DRF_CODES.items() if isinstance(exc, cls)),
        getattr(exc, "default_code", "error"),
    )
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        message = "The request has invalid fields." if fields else "The request is invalid."
        response.data = error_body(code, message, fields)
    else:
        detail = exc.detail
        message = " ".join(_messages(detail)) if not isinstance(detail, str) else str(detail)
        response.data = error_body(code, message)
    return response


# --- pagination ---------------------------------------------------------------


class IdCursorPagination(pagination.CursorPagination):
    """Cursor pages in id order (``?cursor=…&limit=…``): constant cost at any depth,
    no COUNT(*). A view sets ``cursor_ordering`` (e.g. ``"-id"`` for newest first)."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000
    cursor_query_param = "cursor"

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        """Read ``?cursor=``; a forged or damaged one is a 400, never a 500."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise InvalidCursor from exc
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str | int) -> None:
        # The position is compared with the ordering column in SQL: it must be
        # a value of that column, or the query fails. decode_cursor reads it
        # from the query string as a str; DRF's stubs say int.
        name = self.ordering[0].lstrip("-") if self.ordering else "id"
        field = self._model._meta.get_field(name)
        try:
            value = field.get_prep_value(field.to_python(position))
        except (TypeError, ValueError, DjangoValidationError) as exc:
            raise InvalidCursor from exc
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise InvalidCursor


# --- throttling ---------------------------------------------------------------


class ApiRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (token clients) or per person (browser sessions).

    Rates come from ROSTER_API_TOKEN_RATE_LIMIT and ROSTER_API_SESSION_RATE_LIMIT
    ("n/s", "n/min", "n/hour", "n/day"; empty turns the limit off).
    """

    scope = "api"

    def __init__(self) -> None:
        # Read per request, not at import, so settings changes take effect.
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        by_token = getattr(request, "auth", None) is not None
        setting = "ROSTER_API_TOKEN_RATE_LIMIT" if by_token else "ROSTER_API_SESSION_RATE_LIMIT"
        self.rate = getattr(settings, setting, "") or None
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        auth = getattr(request, "auth", None)
        ident = f"token:{auth.pk}" if auth is not None else f"person:{request.user.pk}"
        return f"throttle_api_{ident}"


# --- parsing ------------------------------------------------------------------


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to ROSTER_API_MAX_BODY_BYTES; a larger one is a 413, invalid
    JSON a 400."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = int(getattr(settings, "ROSTER_API_MAX_BODY_BYTES", 1_048_576))
        if stream is None:
            return {}
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# --- unknown API URLs -----------------------------------------------------------


@csrf_exempt  # answers 404 to every method; nothing to protect
def api_not_found(request: Any, rest: str = "") -> Any:
    """Answer any unknown /api/ URL in the API's error shape, not with an HTML page."""
    from django.http import JsonResponse

    return JsonResponse(
        error_body("not_found", "There is no API endpoint at this address."), status=404
    )
