"""Encryption at rest (Fernet: AES-128-CBC + HMAC-SHA256), for every app.

The key is derived from ``ROSTER_ENCRYPTION_KEY`` when set (so a deployment
can rotate ``SECRET_KEY`` without losing what is stored), else from
``SECRET_KEY``; the production profile requires ``ROSTER_ENCRYPTION_KEY``.
Integration secrets (provisioning.secrets) and MFA secrets (TOTP keys,
recovery-code seeds, through accounts.adapters.MFAAdapter) use it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from accounts.exceptions import DomainError

# Every Fernet token starts with its version byte, 0x80, in URL-safe base64.
TOKEN_PREFIX = "gAAAAA"


class SecretUnreadable(DomainError):
    """A stored secret cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    material = settings.ROSTER_ENCRYPTION_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"roster.secrets:{material}".encode()).digest()
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


def is_encrypted(value: str) -> bool:
    """Tell whether ``value`` looks like a token ``encrypt`` made."""
    return value.startswith(TOKEN_PREFIX)
