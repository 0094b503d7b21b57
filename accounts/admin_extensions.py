"""Sections other apps add to the person page, without accounts importing them.

An app that knows something about a person (provisioning: their SCIM push
state) registers a section from its admin module::

    register_person_section(
        "admin/provisioning/person_scim.html", scim_context,
        title="SCIM provisioning", anchor="scim-state",
    )

The person page renders each registered template, in registration order,
with the context its function returns for that person (None hides it), and
lists ``title`` in its section navigation, linking to the element with id
``anchor`` that the template renders.
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
    title: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class _Registered:
    context: SectionContext
    title: str
    anchor: str


_SECTIONS: dict[str, _Registered] = {}


def register_person_section(
    template: str, context: SectionContext, *, title: str = "", anchor: str = ""
) -> None:
    """Add ``template`` to the person page; registering it again replaces it."""
    _SECTIONS[template] = _Registered(context=context, title=title, anchor=anchor)


def person_sections(request: HttpRequest, person: Person) -> list[PersonSection]:
    """Return the sections to show on ``person``'s page for ``request``'s viewer."""
    sections = []
    for template, registered in _SECTIONS.items():
        context = registered.context(request, person)
        if context is not None:
            sections.append(
                PersonSection(
                    template=template,
                    context=context,
                    title=registered.title,
                    anchor=registered.anchor,
                )
            )
    return sections
