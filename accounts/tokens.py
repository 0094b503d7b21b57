"""Claim-link tokens: random in the link, only their SHA-256 in the database.

Looking a token up by its hash is what makes comparison constant-time in
effect: the database compares digests, never the secret itself.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# token_urlsafe(32) yields 43 characters; anything far off is not ours.
MAX_TOKEN_LENGTH = 64


def new_token() -> str:
    """Return a fresh random URL-safe token (32 bytes of entropy)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of ``token``, the only form the database holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Tell whether ``token`` could be one of ours, before touching the database."""
    return 20 <= len(token) <= MAX_TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in token)
