"""Who does a thing: a signed-in person, or a machine such as an import or API client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Person


@dataclass(frozen=True)
class Actor:
    """A non-person actor (import, integration, API or SCIM client, CLI, system).

    ``role`` is what the actor may do, checked like a person's role.
    """

    kind: str
    label: str
    role: str = "admin"


SYSTEM = Actor(kind="system", label="System")
CLI = Actor(kind="cli", label="Command line")

ActorLike = "Person | Actor"


def describe(by: Person | Actor) -> tuple[str, str, Person | None]:
    """Return (kind, label, person) for the audit trail."""
    if isinstance(by, Actor):
        return by.kind, by.label, None
    return "person", f"{by.display_name} <{by.email}>", by


def role_of(by: Person | Actor) -> str:
    return by.role
