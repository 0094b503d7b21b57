"""Encryption at rest for integration secrets (Fernet, AES-128-CBC + HMAC)."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    # ROSTER_ENCRYPTION_KEY lets a deployment rotate SECRET_KEY without losing
    # stored secrets; without it the key is derived from SECRET_KEY.
    raw = os.environ.get("ROSTER_ENCRYPTION_KEY") or getattr(settings, "ROSTER_ENCRYPTION_KEY", "")
    material = raw or settings.SECRET_KEY
    digest = hashlib.sha256(f"roster.scim.secrets:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    """Return the Fernet token for ``plaintext`` ("" stays "")."""
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of a stored token. Raises SecretUnreadable."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be read with the current encryption key; enter it again."
        ) from exc
