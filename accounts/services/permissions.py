"""Whether an actor may act: role capabilities and the protection of staff."""

from __future__ import annotations

from accounts.actors import Actor
from accounts.exceptions import NotAllowed, StaffProtected
from accounts.models import Person
from accounts.roles import Role, role_has_capability

Actorish = Person | Actor

# Actors that act for an operator at the server's shell, or for Roster's own
# steps (a claim, a self-service link): they may change staff. Imports,
# identity providers and SCIM clients may not.
TRUSTED_ACTOR_KINDS = frozenset({"cli", "system"})


def require(by: Actorish, capability: str) -> None:
    """Raise NotAllowed unless ``by`` holds ``capability``."""
    role = by.role if isinstance(by, Actor) else (by.role if by.is_active else Role.NONE)
    if not role_has_capability(role, capability):
        raise NotAllowed("Your role does not allow this action.")


def staff_protection(person: Person, *, by: Actorish) -> str | None:
    """Return why ``by`` may not change ``person``, who holds a staff role; else None.

    Only a System administrator changes the email, password, status or
    profile of a System administrator, Account manager or Auditor; people
    may change their own profile. Imports, identity-provider syncs and SCIM
    clients never change staff, so a directory cannot take over an
    administrator's account.
    """
    if person.role == Role.NONE:
        return None
    role = Role(person.role).label
    if isinstance(by, Actor):
        if by.kind in TRUSTED_ACTOR_KINDS:
            return None
        return (
            f"{person} holds the {role} role in Roster, so {by.label} may not change or "
            "deactivate them. A System administrator can, in Roster."
        )
    if by.pk == person.pk or (by.is_active and by.role == Role.ADMIN):
        return None
    return f"{person} holds the {role} role; only a System administrator may change them."


def require_may_change(person: Person, *, by: Actorish) -> None:
    """Raise StaffProtected unless ``by`` may change ``person`` (see staff_protection)."""
    reason = staff_protection(person, by=by)
    if reason:
        raise StaffProtected(reason)
