"""Errors of identity providers: what their clients raise (``DirectoryError``, each
with a reason an administrator can act on) and what the source services refuse
(``SourceProblem``)."""

from __future__ import annotations

from accounts.exceptions import DomainError


class DirectoryError(DomainError):
    """The identity provider refused or could not be reached.

    ``reason`` is one of ``REASONS``; ``message`` says what to fix.
    """

    CREDENTIALS = "credentials"
    CONSENT = "consent"
    UNREACHABLE = "unreachable"
    EXPIRED_DELTA = "expired_delta"
    PROTOCOL = "protocol"
    REASONS = (CREDENTIALS, CONSENT, UNREACHABLE, EXPIRED_DELTA, PROTOCOL)

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DeltaExpired(DirectoryError):
    """The saved incremental-sync link is no longer valid; a full run is needed."""

    def __init__(self, message: str = "The saved change link has expired.") -> None:
        super().__init__(DirectoryError.EXPIRED_DELTA, message)


class SourceProblem(DomainError):
    """A source cannot be saved or synced as asked."""


class SyncInProgress(SourceProblem):
    """Another run of this source is still going."""
