"""SCIM 2.0 /Groups endpoints: thin views over provisioning.scim_server.groups."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from provisioning.scim_server import groups
from provisioning.scim_server.root_search import search_request
from provisioning.scim_server.views import (
    _body,
    _csv,
    _int,
    _names,
    checked_filter,
    list_response,
    scim_response,
    scim_view,
)


def _bases(request: HttpRequest) -> tuple[str, str]:
    return (
        request.build_absolute_uri(reverse("scim_server:groups")),
        request.build_absolute_uri(reverse("scim_server:users")),
    )


def _group_response(
    request: HttpRequest,
    group: Any,
    *,
    status: int = 200,
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
) -> HttpResponse:
    base, users = _bases(request)
    if attributes is None and excluded is None:
        attributes = _csv(request.GET.get("attributes"))
        excluded = _csv(request.GET.get("excludedAttributes"))
    members = None
    if groups.wants_members(attributes, excluded):
        members = groups.member_docs([group.pk], users)[group.pk]
    doc = groups.group_to_doc(group, base=base, users=users, members=members)
    headers = {"ETag": groups.group_etag(group)}
    if status == 201:
        headers["Location"] = doc["meta"]["location"]
    return scim_response(groups.project(doc, attributes, excluded), status, headers)


def _search(
    request: HttpRequest,
    *,
    filter_text: Any,
    start_index: Any,
    count: Any,
    attributes: list[str] | None,
    excluded: list[str] | None,
) -> HttpResponse:
    page = groups.search_groups(
        filter_text=checked_filter(filter_text),
        start_index=_int(start_index, "startIndex", 1) or 1,
        count=_int(count, "count", None),
    )
    base, users = _bases(request)
    members: dict[int, list[dict[str, Any]]] = {}
    if groups.wants_members(attributes, excluded):
        members = groups.member_docs([g.pk for g in page.groups], users)
    resources = [
        groups.project(
            groups.group_to_doc(g, base=base, users=users, members=members.get(g.pk)),
            attributes,
            excluded,
        )
        for g in page.groups
    ]
    return scim_response(list_response(resources, total=page.total, start_index=page.start_index))


@scim_view("GET", "POST")
def groups_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        group = groups.create_group(_body(request), client=request.scim_client)  # type: ignore[attr-defined]
        return _group_response(request, group, status=201)
    return _search(
        request,
        filter_text=request.GET.get("filter"),
        start_index=request.GET.get("startIndex"),
        count=request.GET.get("count"),
        attributes=_csv(request.GET.get("attributes")),
        excluded=_csv(request.GET.get("excludedAttributes")),
    )


@scim_view("POST")
def groups_search_view(request: HttpRequest) -> HttpResponse:
    fields = search_request(_body(request))
    return _search(
        request,
        filter_text=fields.get("filter"),
        start_index=fields.get("startindex"),
        count=fields.get("count"),
        attributes=_names(fields.get("attributes"), "attributes"),
        excluded=_names(fields.get("excludedattributes"), "excludedAttributes"),
    )


@scim_view("GET", "PUT", "PATCH", "DELETE")
def group_view(request: HttpRequest, group_id: str) -> HttpResponse:
    client = request.scim_client  # type: ignore[attr-defined]
    group = groups.get_group(group_id)
    if_match = request.META.get("HTTP_IF_MATCH")
    if request.method == "GET":
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        tags = [t.strip() for t in (if_none_match or "").split(",") if t.strip()]
        if "*" in tags or groups.group_etag(group) in tags:
            return HttpResponse(status=304, headers={"ETag": groups.group_etag(group)})
        return _group_response(request, group)
    if request.method == "DELETE":
        groups.delete_group(group, client=client, if_match=if_match)
        return HttpResponse(status=204)
    body = _body(request)
    if request.method == "PUT":
        group = groups.replace_group(group, body, client=client, if_match=if_match)
        return _group_response(request, group)
    group = groups.patch_group(group, body, client=client, if_match=if_match)
    if request.GET.get("attributes") or request.GET.get("excludedAttributes"):
        return _group_response(request, group)
    # RFC 7644 §3.5.2: 204 when the client did not ask for attributes back; a
    # 10,000-member group is then never serialised for a member change.
    return HttpResponse(status=204, headers={"ETag": groups.group_etag(group)})
