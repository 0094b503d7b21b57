"""Why a claim link or an invitation request cannot be honoured."""

from __future__ import annotations

from accounts.exceptions import DomainError


class InvitationError(DomainError):
    """A claim link that cannot be used; ``reason`` names the page to show."""

    reason = "invalid"


class InvalidLink(InvitationError):
    """The link is unknown or has been altered."""

    reason = "invalid"


class LinkExpired(InvitationError):
    """The link was valid but is too old."""

    reason = "expired"


class LinkRevoked(InvitationError):
    """The invitation was revoked or replaced by a newer link."""

    reason = "revoked"


class AlreadyClaimed(InvitationError):
    """The account this link is for has already been claimed."""

    reason = "used"


class RateLimited(DomainError):
    """Too many requests from one address or for one email."""
