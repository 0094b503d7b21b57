"""SCIM 2.0 endpoints (RFC 7644): thin views over provisioning.scim_server.services.

Every endpoint needs a client's bearer token, counts against that client's
rate limit and answers errors in the SCIM error schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from provisioning.scim_server import ratelimit, services
from provisioning.scim_server.auth import client_for
from provisioning.scim_server.errors import (
    ScimError,
    invalid_filter,
    invalid_syntax,
    invalid_value,
    not_found,
)
from provisioning.scim_server.mapping import etag, person_to_doc
from provisioning.scim_server.projection import project
from provisioning.scim_server.schema import (
    LIST_RESPONSE,
    SEARCH_REQUEST,
    resource_types,
    schema_resources,
    service_provider_config,
)

CONTENT_TYPE = "application/scim+json"
Handler = Callable[..., HttpResponse]


def scim_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False) if body is not None else b"",
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: ScimError) -> HttpResponse:
    return scim_response(exc.as_dict(), exc.status, exc.headers)


def _body(request: HttpRequest) -> Any:
    limit = int(getattr(settings, "ROSTER_SCIM_MAX_BODY_BYTES", 1_048_576))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise invalid_value(f"Request bodies are limited to {limit} bytes.")
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type and content_type not in ("application/scim+json", "application/json"):
        raise ScimError(415, "Send application/scim+json (or application/json).")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise invalid_value(f"Request bodies are limited to {limit} bytes.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise invalid_syntax("The request body is not valid JSON.") from exc


def scim_view(*methods: str) -> Callable[[Handler], Handler]:
    """Authenticate, rate-limit, check the method and render ScimError."""

    def decorate(view: Handler) -> Handler:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.scim_client = client_for(request)  # type: ignore[attr-defined]
                wait = ratelimit.hit(request.scim_client.id)  # type: ignore[attr-defined]
                if wait is not None:
                    raise ScimError(
                        429,
                        "Too many requests from this SCIM client; retry later.",
                        headers={"Retry-After": str(wait)},
                    )
                if methods and request.method not in methods:
                    raise ScimError(
                        405,
                        f"{request.method} is not supported here.",
                        headers={"Allow": ", ".join(methods)},
                    )
                return view(request, *args, **kwargs)
            except ScimError as exc:
                return error_response(exc)
            except DataError as exc:
                return error_response(invalid_value(f"A value was rejected: {exc}"))

        return wrapped

    return decorate


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim_server:users"))


def _root(request: HttpRequest) -> str:
    return _base(request).rsplit("/", 1)[0]


def _csv(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _int(value: Any, name: str, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid_value(f"{name} must be an integer.") from exc


def _user_response(request: HttpRequest, person: Any, status: int = 200) -> HttpResponse:
    base = _base(request)
    doc = person_to_doc(person, base)
    doc = project(
        doc,
        attributes=_csv(request.GET.get("attributes")),
        excluded=_csv(request.GET.get("excludedAttributes")),
    )
    headers = {"ETag": etag(person)}
    if status == 201:
        headers["Location"] = f"{base}/{person.pk}"
    return scim_response(doc, status, headers)


# --- discovery ----------------------------------------------------------------


@scim_view("GET")
def service_provider_config_view(request: HttpRequest) -> HttpResponse:
    return scim_response(service_provider_config(_root(request)))


def list_response(
    resources: list[dict[str, Any]], *, total: int | None = None, start_index: int = 1
) -> dict[str, Any]:
    """A ListResponse of one page of ``resources`` (the whole list unless ``total`` says more)."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def checked_filter(filter_text: Any) -> str | None:
    """Return the ``filter`` parameter, or None when absent; refuse what no search can use."""
    if filter_text is not None and not isinstance(filter_text, str):
        raise invalid_value("filter must be a string.")
    if filter_text and "\x00" in filter_text:
        # PostgreSQL refuses NUL in text; no stored value can hold one.
        raise invalid_filter("A filter cannot contain the NUL character.")
    return filter_text or None


@scim_view("GET")
def schemas_view(request: HttpRequest) -> HttpResponse:
    return scim_response(list_response(schema_resources(_root(request))))


@scim_view("GET")
def schema_view(request: HttpRequest, schema_id: str) -> HttpResponse:
    for schema in schema_resources(_root(request)):
        if schema["id"] == schema_id:
            return scim_response(schema)
    raise not_found(f"No schema {schema_id}.")


@scim_view("GET")
def resource_types_view(request: HttpRequest) -> HttpResponse:
    return scim_response(list_response(resource_types(_root(request))))


@scim_view("GET")
def resource_type_view(request: HttpRequest, type_id: str) -> HttpResponse:
    for item in resource_types(_root(request)):
        if item["id"] == type_id:
            return scim_response(item)
    raise not_found(f"No resource type {type_id}. Roster serves Users and Groups.")


# --- users ----------------------------------------------------------------------


def _search(
    request: HttpRequest,
    *,
    filter_text: Any,
    start_index: Any,
    count: Any,
    attributes: list[str] | None,
    excluded: list[str] | None,
) -> HttpResponse:
    page = services.search_people(
        filter_text=checked_filter(filter_text),
        start_index=_int(start_index, "startIndex", 1) or 1,
        count=_int(count, "count", None),
    )
    base = _base(request)
    resources = [
        project(person_to_doc(person, base), attributes=attributes, excluded=excluded)
        for person in page.people
    ]
    return scim_response(list_response(resources, total=page.total, start_index=page.start_index))


@scim_view("GET", "POST")
def users_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        person = services.create_user(_body(request), client=request.scim_client)  # type: ignore[attr-defined]
        return _user_response(request, person, status=201)
    return _search(
        request,
        filter_text=request.GET.get("filter"),
        start_index=request.GET.get("startIndex"),
        count=request.GET.get("count"),
        attributes=_csv(request.GET.get("attributes")),
        excluded=_csv(request.GET.get("excludedAttributes")),
    )


def _names(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _csv(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid_value(f"{name} must be a list of attribute names.")


@scim_view("POST")
def search_view(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    if not isinstance(body, dict):
        raise invalid_value("A search needs a SearchRequest object.")
    fields = {str(k).lower(): v for k, v in body.items()}
    schemas = fields.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST not in schemas):
        raise invalid_value(f"schemas must list {SEARCH_REQUEST}.")
    return _search(
        request,
        filter_text=fields.get("filter"),
        start_index=fields.get("startindex"),
        count=fields.get("count"),
        attributes=_names(fields.get("attributes"), "attributes"),
        excluded=_names(fields.get("excludedattributes"), "excludedAttributes"),
    )


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user_view(request: HttpRequest, person_id: str) -> HttpResponse:
    client = request.scim_client  # type: ignore[attr-defined]
    person = services.get_person(person_id)
    if_match = request.META.get("HTTP_IF_MATCH")
    if request.method == "GET":
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match:
            tags = [t.strip() for t in if_none_match.split(",")]
            if "*" in tags or etag(person) in tags:
                return HttpResponse(status=304, headers={"ETag": etag(person)})
        return _user_response(request, person)
    if request.method == "DELETE":
        services.delete_user(person, client=client, if_match=if_match)
        return HttpResponse(status=204)
    body = _body(request)
    if request.method == "PUT":
        person = services.replace_user(person, body, client=client, if_match=if_match)
    else:
        person = services.patch_user(
            person, body, client=client, base=_base(request), if_match=if_match
        )
    return _user_response(request, person)


@scim_view()
def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise not_found(f"No SCIM endpoint at /{rest}.")
