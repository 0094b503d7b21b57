"""The header's search (Unfold's command palette): people, and the pages of the menu.

Unfold calls ``search(request, term)`` with what was typed; it returns people
whose name or email contains the term or whose external ID is the term (the
People list's own rule), and the menu entries whose title or task matches,
each linking to its page. Nothing is listed that the role may not open.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from unfold.dataclasses import SearchResult

from accounts import selectors
from portal.navigation import sidebar

PEOPLE_SHOWN = 10
MIN_TERM = 2


def search(request: HttpRequest, term: str) -> list[SearchResult]:
    """Return the people and pages matching ``term`` for ``request``'s viewer."""
    term = (term or "").strip()
    if len(term) < MIN_TERM:
        return []
    results = [*_people(request, term), *_pages(request, term)]
    return results


def _people(request: HttpRequest, term: str) -> list[SearchResult]:
    if not request.user.has_perm("accounts.view_person"):
        return []
    people = selectors.list_people(search=term).order_by("full_name", "pk")[:PEOPLE_SHOWN]
    return [
        SearchResult(
            title=person.display_name,
            description=" · ".join(
                part
                for part in (person.email, person.get_status_display(), person.department)
                if part
            ),
            link=reverse("admin:accounts_person_change", args=[person.pk]),
            icon="person",
        )
        for person in people
    ]


def _pages(request: HttpRequest, term: str) -> list[SearchResult]:
    needle = term.lower()
    found = []
    for group in sidebar(request):
        for item in group["items"]:
            label = (
                item["title"]
                if item["title"] == group["title"]
                else (f"{group['title']} · {item['title']}")
            )
            if needle in label.lower():
                found.append(
                    SearchResult(
                        title=label, description="Page", link=item["link"], icon=item["icon"]
                    )
                )
    return found
