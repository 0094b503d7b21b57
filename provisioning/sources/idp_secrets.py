"""Encryption at rest for integration credentials (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``ROSTER_ENCRYPTION_KEY`` (a Fernet key, in settings or the
environment); without it one is derived from ``SECRET_KEY``, so rotating the
secret key means entering the credentials again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from accounts.exceptions import DomainError


class CredentialsUnreadable(DomainError):
    """The stored credentials cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    key = getattr(settings, "ROSTER_ENCRYPTION_KEY", "") or os.environ.get(
        "ROSTER_ENCRYPTION_KEY", ""
    )
    if not key:
        digest = hashlib.sha256(b"roster.identity-credentials:" + settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt_json(value: dict[str, Any]) -> str:
    """Return ``value`` as an encrypted token safe to store."""
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    """Return what ``encrypt_json`` stored; raise CredentialsUnreadable if the key changed."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise CredentialsUnreadable(
            "The stored credentials cannot be read with the current encryption key; "
            "enter them again."
        ) from exc
