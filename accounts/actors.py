"""Who does a thing: a signed-in person, or a machine such as an import or API client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

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


def signed_in(request: HttpRequest | Request) -> Person:
    """Return the person signed in to ``request``; raise PermissionDenied for anyone else.

    Admin pages and API views run only for a signed-in person (the admin site
    and the API's permission classes check that first), so an anonymous
    visitor never gets this far; this states the guarantee for the services
    that take the person as ``by``.
    """
    from django.contrib.auth.models import AnonymousUser

    user = request.user
    if isinstance(user, AnonymousUser):
        raise PermissionDenied
    return user
