"""The person page as a profile: what its header, sections and navigation show.

``profile_context`` gives the change view everything the profile templates
(``admin/accounts/person/profile_header.html`` above the form and
``extras.html`` below it) render, each part only for viewers whose role may
read it. Reads go through accounts.profile, a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from accounts.admin_extensions import person_sections
from accounts.models import Person
from accounts.profile import get_reporting_line, get_timeline_page

TIMELINE_PAGE_PARAM = "timeline_page"

# Unfold's label colours for each status; the badge always says the status
# in words too.
STATUS_COLOURS: dict[str, str] = {
    Person.Status.STAGED: "info",
    Person.Status.INVITED: "warning",
    Person.Status.ACTIVE: "success",
    Person.Status.DEACTIVATED: "danger",
}


@dataclass(frozen=True)
class NavItem:
    """One entry of the profile's section navigation."""

    title: str
    anchor: str


def _page_url(request: HttpRequest, number: int) -> str:
    query = QueryDict(mutable=True)
    query.update(request.GET)
    query[TIMELINE_PAGE_PARAM] = str(number)
    return f"?{query.urlencode()}#timeline"


def profile_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    """Return the profile's context for ``person`` as ``request``'s viewer may see it."""
    user = request.user
    sections = person_sections(request, person)
    context: dict[str, Any] = {
        "profile_status_colour": STATUS_COLOURS.get(person.status, "info"),
        "reporting_line": get_reporting_line(person),
        "reports_url": reverse("admin:accounts_person_changelist")
        + f"?manager__id__exact={person.pk}",
        "person_sections": sections,
    }
    nav = [NavItem("Details", "details"), NavItem("Reporting line", "reporting-line")]
    if user.has_perm("accounts.view_invitation"):
        context["show_invitation"] = True
        nav.append(NavItem("Invitation", "invitation"))
    nav.extend(NavItem(s.title, s.anchor) for s in sections if s.title and s.anchor)
    if user.has_perm("accounts.view_lifecycleevent"):
        timeline = get_timeline_page(person.pk, page=request.GET.get(TIMELINE_PAGE_PARAM, 1))
        context.update(
            timeline=timeline,
            timeline_newer_url=_page_url(request, timeline.number - 1),
            timeline_older_url=_page_url(request, timeline.number + 1),
            events_url=reverse("admin:accounts_lifecycleevent_changelist")
            + f"?person_ref={person.pk}",
        )
        nav.append(NavItem("Timeline", "timeline"))
    context["profile_nav"] = nav
    return context
