"""Sections other apps add to the person page, without accounts importing them.

An app that knows something about a person (provisioning: their SCIM push
state) registers a section from its admin module::

    register_person_section("admin/provisioning/person_scim.html", scim_context)

The person page renders each registered template, in registration order,
with the context its function returns for that person (None hides it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from accounts.models import Person

SectionContext = Callable[[HttpRequest, Person], "dict[str, Any] | None"]


@dataclass(frozen=True)
class PersonSection:
    """One section of the person page: a template and what it shows for a person."""

    template: str
    context: dict[str, Any]


_SECTIONS: dict[str, SectionContext] = {}


def register_person_section(template: str, context: SectionContext) -> None:
    """Add ``template`` to the person page; registering it again replaces it."""
    _SECTIONS[template] = context


def person_sections(request: HttpRequest, person: Person) -> list[PersonSection]:
    """Return the sections to show on ``person``'s page for ``request``'s viewer."""
    sections = []
    for template, make_context in _SECTIONS.items():
        context = make_context(request, person)
        if context is not None:
            sections.append(PersonSection(template=template, context=context))
    return sections
