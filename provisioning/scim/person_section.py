"""The person page's "SCIM provisioning" section: that person's state on each target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.admin_extensions import register_person_section
from accounts.models import Person
from provisioning.scim import selectors
from provisioning.scim.models import ScimLink

TEMPLATE = "admin/provisioning/scimtarget/person_section.html"


@dataclass(frozen=True)
class TargetState:
    """What one target holds of a person, as the person page shows it."""

    target_id: int
    target_name: str
    remote_id: str
    state: str
    last_pushed_at: datetime | None
    last_error: str


def _state(link: ScimLink | None, person: Person) -> str:
    if link is None:
        return "Not pushed yet"
    if link.failed_version is not None and link.failed_version == person.version:
        return "Failed"
    if link.next_attempt_at and link.next_attempt_at > timezone.now():
        return "Retrying"
    if link.synced_version >= person.version and link.remote_id:
        return "Synced"
    return "Pending"


def list_target_states(person: Person) -> list[TargetState]:
    """Return ``person``'s state on every SCIM target, by target name."""
    links = {link.target_id: link for link in selectors.list_links_for_person(person.pk)}
    return [
        TargetState(
            target_id=target.pk,
            target_name=target.name,
            remote_id=(link.remote_id or "") if link else "",
            state=_state(link, person),
            last_pushed_at=link.last_pushed_at if link else None,
            last_error=link.last_error if link else "",
        )
        for target in selectors.list_targets()
        for link in [links.get(target.pk)]
    ]


def section_context(request: HttpRequest, person: Person) -> dict[str, Any] | None:
    if not request.user.has_perm("provisioning.view_scimlink"):
        return None
    return {"states": list_target_states(person)}


register_person_section(TEMPLATE, section_context, title="SCIM provisioning", anchor="scim-state")
