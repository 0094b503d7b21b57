"""The Authorization header of a SCIM request: a bearer token, or an OAuth 2.0 access token.

Access tokens from the client-credentials grant are cached per process,
keyed by (token URL, client id, scope), and fetched again 30 s before
they expire or when the target refuses one early.
"""

from __future__ import annotations

import threading
import time

import httpx2

from provisioning.edge_errors import explain_unreachable
from provisioning.scim.client.errors import ScimError
from provisioning.scim.client.values import Credentials

_token_cache: dict[tuple[str, str, str], tuple[str, float]] = {}
_token_lock = threading.Lock()


def authorization(http: httpx2.Client, creds: Credentials, *, refresh: bool = False) -> str | None:
    """Return the Authorization header value for ``creds``, or None without credentials.

    With OAuth, POSTs to the token endpoint unless a cached token is still
    good (``refresh`` skips the cache). Raises ScimError when no token can
    be had.
    """
    if creds.bearer_token:
        return f"Bearer {creds.bearer_token}"
    if not creds.token_url:
        return None
    key = (creds.token_url, creds.client_id, creds.scope)
    with _token_lock:
        cached = _token_cache.get(key)
        if cached and cached[1] > time.time() + 30 and not refresh:
            return f"Bearer {cached[0]}"
    data = {"grant_type": "client_credentials", "client_id": creds.client_id}
    if creds.scope:
        data["scope"] = creds.scope
    try:
        response = http.post(
            creds.token_url, data=data, auth=(creds.client_id, creds.client_secret)
        )
    except httpx2.RequestError as exc:
        raise ScimError(
            f"Could not get an OAuth token. {explain_unreachable(exc, 'the token endpoint')}"
        ) from exc
    if response.status_code != 200:
        hint = (
            " Check the client ID, client secret and scope."
            if response.status_code in (400, 401, 403)
            else " Check the OAuth token URL."
            if response.status_code == 404
            else ""
        )
        raise ScimError(
            f"The OAuth token endpoint answered {response.status_code}.{hint}",
            status=response.status_code,
            transient=response.status_code >= 500,
        )
    try:
        body = response.json()
        token = str(body["access_token"])
        expires_in = float(body.get("expires_in", 3600))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ScimError(
            "The OAuth token endpoint did not answer with an access token.", transient=False
        ) from exc
    with _token_lock:
        _token_cache[key] = (token, time.time() + expires_in)
    return f"Bearer {token}"
