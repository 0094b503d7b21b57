"""Encryption at rest for integration secrets (Fernet: AES-128-CBC + HMAC-SHA256).

SCIM target tokens, OAuth client secrets and identity-provider credentials
are stored only as Fernet tokens. The key is derived from
``ROSTER_ENCRYPTION_KEY`` when set (so a deployment can rotate
``SECRET_KEY`` without losing them), else from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from accounts.exceptions import DomainError


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


def encrypt_json(value: dict[str, Any]) -> str:
    """Return ``value`` as an encrypted token safe to store."""
    return encrypt(json.dumps(value, separators=(",", ":")))


def decrypt_json(token: str) -> dict[str, Any]:
    """Return what ``encrypt_json`` stored. Raises SecretUnreadable."""
    text = decrypt(token)
    return json.loads(text) if text else {}
