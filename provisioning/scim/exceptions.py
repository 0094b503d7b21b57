"""Domain errors of SCIM provisioning."""

from __future__ import annotations

from accounts.exceptions import DomainError


class InvalidTarget(DomainError):
    """A target's settings are invalid; ``errors`` maps setting to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.errors.items()))


class ScimTargetUnavailable(DomainError):
    """The target cannot take this request now (disabled, paused or unreachable)."""
