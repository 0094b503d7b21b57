"""The errors a SCIM target's answers turn into, and what an administrator can do about them.

Every non-2xx answer becomes a :class:`ScimError` that says whether
retrying can help (``transient``) and how long the server asked to wait
(``retry_after``, from the Retry-After header).
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx2

# Statuses worth retrying (RFC 7231 408, RFC 6585 429, 5xx); any other 4xx
# is permanent for that request.
TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}

_DISCOVERY = ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas")


class ScimError(Exception):
    """A request the target refused or that could not be completed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        transient: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.transient = transient


class Conflict(ScimError):
    """409: the user already exists (or an ETag mismatch)."""


class NotFound(ScimError):
    """404: the remote user is gone."""


def status_hint(method: str, url: str, status: int) -> str:
    """What an administrator can do about ``status``; "" where the push handles it."""
    if status == 401:
        return (
            "The target did not accept Roster's credentials: enter its current token "
            "(or OAuth client)."
        )
    if status == 403:
        return "The credentials may not manage users on the target: give them that right."
    if status == 404 and (url.endswith(_DISCOVERY) or (method == "GET" and url == "/Users")):
        return "Check the base URL: it must be the target's SCIM root (often …/scim/v2)."
    if status >= 500:
        return "The target failed on its side: if this persists, check its status with its owner."
    return ""


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def error_from_response(method: str, url: str, response: httpx2.Response) -> ScimError:
    """Return the error an answer of 400 or more stands for, with its detail and a hint."""
    status = response.status_code
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            detail = str(body.get("detail") or body.get("scimType") or "")
    except ValueError:
        detail = ""
    message = f"{method} {url} answered {status}" + (f": {detail}" if detail else ".")
    hint = status_hint(method, url, status)
    if hint:
        message = f"{message.rstrip('.')}. {hint}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    transient = status in TRANSIENT_STATUSES
    if status == 409:
        return Conflict(message, status=status, retry_after=retry_after, transient=transient)
    if status == 404:
        return NotFound(message, status=status, retry_after=retry_after, transient=transient)
    return ScimError(message, status=status, retry_after=retry_after, transient=transient)
