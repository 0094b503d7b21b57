"""Google Workspace groups over the Directory API (HTTP only, no ORM): ``groups.list``
and ``members.list`` through the real API client, with the read-only group
scope added to the user scope.

Both list at most 200 per page and page with ``pageToken``. Members have a
``type``: USER (kept, by id), GROUP (nested: skipped and counted), CUSTOMER
(everyone in the domain belongs) and EXTERNAL (someone outside the
directory, kept by email so a person Roster holds with that email joins).
Google has no change feed for groups: every run reads the groups in scope
again. 429, 5xx and 403 rate limits are retried by ``google._execute``.
"""

from __future__ import annotations

from typing import Any

from provisioning.idp import google
from provisioning.idp.errors import DirectoryError
from provisioning.idp.groups import DirectoryGroup, GroupRead, GroupSummary, in_scope

GROUP_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly"
SCOPES = (*google.SCOPES, GROUP_SCOPE)
PAGE_SIZE = 200
GROUP_FIELDS = "kind,nextPageToken,groups(kind,id,email,name,description,directMembersCount)"
MEMBER_FIELDS = "kind,nextPageToken,members(id,email,role,type,status)"
_CONSENT = (
    "Google refused to let the service account read groups: add "
    f"{GROUP_SCOPE} to its domain-wide delegation in the Admin console, next to "
    f"{google.SCOPES[0]}"
)


def _permission(exc: DirectoryError) -> DirectoryError:
    if exc.reason == DirectoryError.CONSENT:
        return DirectoryError(DirectoryError.CONSENT, f"{_CONSENT} ({exc.message})")
    return exc


def service(config: google.GoogleConfig) -> Any:
    """Build a Directory API client that may read users and groups."""
    return google._service(config, SCOPES)


def list_groups(config: google.GoogleConfig, *, api: Any = None) -> list[GroupSummary]:
    """Return every group of the customer (or domain), sorted by name. Raises DirectoryError."""
    api = api or service(config)
    found: list[GroupSummary] = []
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = google._list_kwargs(config) | {
                "maxResults": PAGE_SIZE,
                "fields": GROUP_FIELDS,
            }
            if token:
                kwargs["pageToken"] = token
            page = google._execute(api.groups().list(**kwargs))
            for g in page.get("groups", []):
                count = g.get("directMembersCount")
                found.append(
                    GroupSummary(
                        key=str(g["id"]),
                        name=g.get("name") or g.get("email") or str(g["id"]),
                        email=g.get("email") or "",
                        description=g.get("description") or "",
                        member_count=int(count) if count is not None else None,
                    )
                )
            token = page.get("nextPageToken")
            if not token:
                break
    except DirectoryError as exc:
        raise _permission(exc) from exc
    return sorted(found, key=lambda g: (g.name.casefold(), g.key))


def read_members(api: Any, group: DirectoryGroup) -> int:
    """Fill ``group`` with its direct members; return the pages read."""
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {
            "groupKey": group.key,
            "maxResults": PAGE_SIZE,
            "fields": MEMBER_FIELDS,
        }
        if token:
            kwargs["pageToken"] = token
        page = google._execute(api.members().list(**kwargs))
        pages += 1
        for member in page.get("members", []):
            kind = member.get("type", "USER")
            if kind == "USER" and member.get("id"):
                group.members.add(str(member["id"]))
            elif kind == "GROUP":
                group.nested.add(str(member.get("id") or member.get("email")))
            elif kind == "CUSTOMER":
                group.everyone = True
            elif kind == "EXTERNAL" and member.get("email"):
                group.external_emails.add(str(member["email"]).lower())
            else:
                group.others += 1
        token = page.get("nextPageToken")
        if not token:
            return pages


def fetch_groups(config: google.GoogleConfig, *, chosen: set[str] | None) -> GroupRead:
    """Read the groups in scope (every group when ``chosen`` is None) with their
    members. Raises DirectoryError."""
    api = service(config)
    read = GroupRead()
    try:
        summaries = list_groups(config, api=api)
        for summary in summaries:
            if not in_scope(summary.key, chosen=chosen):
                continue
            group = DirectoryGroup(
                key=summary.key,
                name=summary.name,
                description=summary.description,
                email=summary.email,
            )
            read.requests += read_members(api, group)
            read.groups[group.key] = group
    except DirectoryError as exc:
        raise _permission(exc) from exc
    return read


__all__ = ["GROUP_SCOPE", "fetch_groups", "list_groups", "read_members", "service"]
