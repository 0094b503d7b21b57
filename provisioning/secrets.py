"""Encryption at rest for integration secrets (Fernet: AES-128-CBC + HMAC-SHA256).

SCIM target tokens, OAuth client secrets and identity-provider credentials
are stored only as Fernet tokens. The key is derived from
``ROSTER_ENCRYPTION_KEY`` when set (so a deployment can rotate
``SECRET_KEY`` without losing them), else from ``SECRET_KEY``; the
production profile requires ``ROSTER_ENCRYPTION_KEY``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from accounts.crypto import SecretUnreadable, decrypt, encrypt

__all__ = ["SecretUnreadable", "decrypt", "decrypt_json", "encrypt", "encrypt_json"]


def encrypt_json(value: dict[str, Any]) -> str:
    """Return ``value`` as an encrypted token safe to store."""
    return encrypt(json.dumps(value, separators=(",", ":")))


def decrypt_json(token: str) -> dict[str, Any]:
    """Return what ``encrypt_json`` stored. Raises SecretUnreadable."""
    text = decrypt(token)
    return json.loads(text) if text else {}


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """Return (scheme, host, port) of ``url``, the default port filled in.

    A stored secret is bound to the origin it was entered for: when a URL it
    is sent to moves to another origin, the secret must be entered again.
    """
    parts = urlsplit((url or "").strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def moves_host(before: str, after: str) -> bool:
    """Tell whether ``after`` points at another scheme, host or port than ``before``."""
    return origin(before) != origin(after)
