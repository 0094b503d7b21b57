"""POST /.search at the root (RFC 7644 §3.4.3): Users then Groups, in one list.

A filter applies to every resource type; a type whose attributes the filter
does not name contributes nobody (and the request fails only if no type can
read it). ``attributes`` and ``excludedAttributes`` apply to each type as far
as it has them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from provisioning.scim_server import groups, services
from provisioning.scim_server.errors import ScimError, invalid_value
from provisioning.scim_server.filters import resolve_path
from provisioning.scim_server.mapping import person_to_doc
from provisioning.scim_server.projection import project
from provisioning.scim_server.schema import DEFAULT_COUNT, MAX_RESULTS
from provisioning.scim_server.views import (
    _body,
    _int,
    _names,
    list_response,
    scim_response,
    scim_view,
)


def search_request(body: Any) -> dict[str, Any]:
    """Return a SearchRequest's fields (lower-case keys); raise ScimError if malformed."""
    from provisioning.scim_server.schema import SEARCH_REQUEST

    if not isinstance(body, dict):
        raise invalid_value("A search needs a SearchRequest object.")
    fields = {str(k).lower(): v for k, v in body.items()}
    schemas = fields.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST not in schemas):
        raise invalid_value(f"schemas must list {SEARCH_REQUEST}.")
    if fields.get("filter") is not None and not isinstance(fields["filter"], str):
        raise invalid_value("filter must be a string.")
    return fields


def _user_names(names: list[str] | None) -> list[str] | None:
    if not names:
        return names
    kept = []
    for name in names:
        try:
            resolve_path(name)
        except ScimError:
            continue
        kept.append(name)
    return kept


def _total(search: Any) -> tuple[int, ScimError | None]:
    try:
        return search(0), None
    except ScimError as exc:
        return 0, exc


@scim_view("POST")
def root_search_view(request: HttpRequest) -> HttpResponse:
    fields = search_request(_body(request))
    filter_text = fields.get("filter") or None
    start = max(_int(fields.get("startindex"), "startIndex", 1) or 1, 1)
    count = _int(fields.get("count"), "count", None)
    count = DEFAULT_COUNT if count is None else min(max(count, 0), MAX_RESULTS)
    attributes = _names(fields.get("attributes"), "attributes")
    excluded = _names(fields.get("excludedattributes"), "excludedAttributes")

    users_total, users_error = _total(
        lambda n: services.search_people(filter_text=filter_text, count=n).total
    )
    groups_total, groups_error = _total(
        lambda n: groups.search_groups(filter_text=filter_text, count=n).total
    )
    if users_error and groups_error:
        raise users_error
    users_base = request.build_absolute_uri(reverse("scim_server:users"))
    groups_base = request.build_absolute_uri(reverse("scim_server:groups"))
    offset = start - 1
    resources: list[dict[str, Any]] = []
    if not users_error and offset < users_total and count:
        user_attributes = _user_names(attributes)
        if attributes and not user_attributes:
            user_attributes = ["id"]
        page = services.search_people(
            filter_text=filter_text, start_index=start, count=min(count, users_total - offset)
        )
        resources += [
            project(
                person_to_doc(p, users_base),
                attributes=user_attributes,
                excluded=_user_names(excluded),
            )
            for p in page.people
        ]
    remaining = count - len(resources)
    if not groups_error and remaining > 0:
        group_page = groups.search_groups(
            filter_text=filter_text,
            start_index=max(offset - users_total, 0) + 1,
            count=remaining,
        )
        members: dict[int, list[dict[str, Any]]] = {}
        if groups.wants_members(attributes, excluded):
            members = groups.member_docs([g.pk for g in group_page.groups], users_base)
        resources += [
            groups.project(
                groups.group_to_doc(
                    g, base=groups_base, users=users_base, members=members.get(g.pk)
                ),
                attributes,
                excluded,
            )
            for g in group_page.groups
        ]
    return scim_response(
        list_response(resources, total=users_total + groups_total, start_index=start)
    )
