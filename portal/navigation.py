"""The admin's side menu, organised by task rather than by app and model.

Unfold calls ``sidebar(request)`` (settings ``UNFOLD["SIDEBAR"]["navigation"]``)
on every page. Each entry links to the page where that task is done and is
shown only when the signed-in person's role may open it; a group with no
entry left is dropped. The scheduler's tables and internal link tables are
never listed: schedules are set on the page of what they schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class Entry:
    """One link of the menu: its title, icon, URL name and the permission it needs."""

    title: str
    icon: str
    url_name: str
    permission: str | None = None
    query: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """A task of the menu with its entries."""

    title: str
    entries: tuple[Entry, ...]


PEOPLE = "accounts.view_person"

GROUPS = Group(
    "Groups", (Entry("Groups", "groups", "admin:accounts_group_changelist", "accounts.view_group"),)
)

NAVIGATION: tuple[Group, ...] = (
    Group("Dashboard", (Entry("Dashboard", "dashboard", "admin:index"),)),
    Group(
        "People",
        (
            Entry("Directory", "people", "admin:accounts_person_changelist", PEOPLE),
            Entry(
                "Import",
                "upload_file",
                "admin:provisioning_importjob_add",
                "provisioning.add_importjob",
            ),
            Entry(
                "Export",
                "download",
                "admin:provisioning_importjob_export",
                "provisioning.view_importjob",
                args=("csv",),
            ),
        ),
    ),
    Group(
        "Invitations",
        (
            Entry(
                "Pending",
                "mark_email_unread",
                "admin:accounts_person_changelist",
                PEOPLE,
                query="status__exact=invited",
            ),
            Entry(
                "Scheduled",
                "schedule_send",
                "admin:accounts_person_changelist",
                PEOPLE,
                query="invitation_email=scheduled",
            ),
            Entry(
                "Failed deliveries",
                "unsubscribe",
                "admin:accounts_person_changelist",
                PEOPLE,
                query="invitation_email=failed",
            ),
        ),
    ),
    GROUPS,
    Group(
        "Identity providers",
        (
            Entry(
                "Identity providers",
                "cloud_sync",
                "admin:provisioning_identitysource_changelist",
                "provisioning.view_identitysource",
            ),
        ),
    ),
    Group(
        "Provisioning",
        (
            Entry(
                "SCIM targets",
                "send",
                "admin:provisioning_scimtarget_changelist",
                "provisioning.view_scimtarget",
            ),
            Entry(
                "Inbound SCIM clients",
                "input",
                "admin:provisioning_scimclient_changelist",
                "provisioning.view_scimclient",
            ),
        ),
    ),
    Group(
        "Reports",
        (
            Entry(
                "Audit log",
                "history",
                "admin:accounts_lifecycleevent_changelist",
                "accounts.view_lifecycleevent",
            ),
            Entry(
                "Imports",
                "table_view",
                "admin:provisioning_importjob_changelist",
                "provisioning.view_importjob",
            ),
            Entry(
                "Saved column choices",
                "bookmark",
                "admin:provisioning_savedcolumnmapping_changelist",
                "provisioning.view_savedcolumnmapping",
            ),
            Entry(
                "Sync runs",
                "sync",
                "admin:provisioning_syncrun_changelist",
                "provisioning.view_syncrun",
            ),
            Entry(
                "SCIM runs",
                "receipt_long",
                "admin:provisioning_scimrun_changelist",
                "provisioning.view_scimrun",
            ),
        ),
    ),
    Group(
        "Settings",
        (
            Entry(
                "Organisation",
                "apartment",
                "admin:accounts_organisation_changelist",
                "accounts.view_organisation",
            ),
            Entry(
                "Allowed domains",
                "domain",
                "admin:accounts_alloweddomain_changelist",
                "accounts.view_alloweddomain",
            ),
            Entry(
                "API tokens",
                "key",
                "admin:accounts_apitoken_changelist",
                "accounts.view_apitoken",
            ),
            Entry(
                "Staff roles",
                "admin_panel_settings",
                "admin:accounts_person_changelist",
                PEOPLE,
                query="staff=yes",
            ),
            Entry("Two-factor authentication", "lock", "mfa_index"),
        ),
    ),
)


def _allowed(request: HttpRequest, entry: Entry) -> bool:
    return entry.permission is None or request.user.has_perm(entry.permission)


def _link(entry: Entry) -> str:
    url = reverse(entry.url_name, args=entry.args)
    return f"{url}?{entry.query}" if entry.query else url


def _is_active(request: HttpRequest, entry: Entry, link: str) -> bool:
    if entry.url_name == "admin:index":
        return request.path == link
    path, _, query = link.partition("?")
    if query:
        return request.path == path and request.GET.urlencode() == query
    if not request.path.startswith(path):
        return False
    # The People list without filters is the Directory; its filtered views
    # (Pending, Scheduled...) light up their own entry.
    return not (entry.url_name == "admin:accounts_person_changelist" and request.GET)


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    """Return Unfold's navigation for ``request``: the groups and entries the role may open."""
    groups = []
    for group in NAVIGATION:
        items = []
        for entry in group.entries:
            if not _allowed(request, entry):
                continue
            link = _link(entry)
            items.append(
                {
                    "title": entry.title,
                    "icon": entry.icon,
                    "link": link,
                    "active": _is_active(request, entry, link),
                }
            )
        if (
            group.title == "Reports"
            and settings.ROSTER_MAIL_TO_FILES
            and request.user.has_perm("accounts.change_role")
        ):
            link = reverse("sent-mail")
            items.append(
                {
                    "title": "Sent mail",
                    "icon": "outgoing_mail",
                    "link": link,
                    "active": request.path.startswith(link),
                }
            )
        if items:
            groups.append({"title": group.title, "separator": True, "items": items})
    return groups
