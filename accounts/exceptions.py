"""Domain errors; every interface shows their message as it stands."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; ``message`` is written for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPerson(DomainError):
    """One or more attributes are invalid; ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class IllegalTransition(DomainError):
    """The person's status does not allow the requested change."""


class CannotDeleteClaimed(DomainError):
    """Only people who never claimed an account may be deleted."""


class NotAllowed(DomainError):
    """The actor's role does not grant the capability."""


class StaffProtected(NotAllowed):
    """The person holds a staff role, which only a System administrator may change."""
