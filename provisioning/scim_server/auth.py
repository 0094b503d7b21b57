"""Bearer-token authentication for the SCIM views."""

from __future__ import annotations

from django.http import HttpRequest

from provisioning.scim_server.errors import ScimError
from provisioning.scim_server.services import AuthenticatedClient, authenticate


def client_for(request: HttpRequest) -> AuthenticatedClient:
    """Return the SCIM client named by the request's ``Authorization: Bearer`` token.

    Raises ScimError 401 when the token is missing, unknown or revoked.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.strip().partition(" ")
    client = authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        raise ScimError(
            401,
            "A valid bearer token is required.",
            headers={"WWW-Authenticate": 'Bearer realm="Roster SCIM"'},
        )
    return client
