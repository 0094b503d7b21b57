"""The person page's "Identity provider" section: the source a person comes from,
their id there, and the attributes its last run left empty (and why)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.admin_extensions import register_person_section
from accounts.models import Person
from provisioning.idp.models import SourceLink

TEMPLATE = "admin/provisioning/syncrun/person_section.html"


def section_context(request: HttpRequest, person: Person) -> dict[str, Any] | None:
    """Return the section's context, or None (no section) for people without a
    source or viewers who may not see sync runs."""
    if not request.user.has_perm("provisioning.view_syncrun"):
        return None
    link = SourceLink.objects.select_related("source").filter(person=person).first()
    if link is None:
        return None
    return {
        "source_id": link.source_id,
        "source_name": link.source.name,
        "kind": link.source.get_kind_display(),
        "external_key": link.external_key or "",
        "warnings": link.warnings,
    }


register_person_section(TEMPLATE, section_context, title="Identity provider", anchor="idp-state")
