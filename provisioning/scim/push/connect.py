"""The HTTP client of a target, built from its stored settings and decrypted secrets."""

from __future__ import annotations

from provisioning.scim import ratelimit
from provisioning.scim.client import Capabilities, Credentials, ScimClient
from provisioning.scim.models import ScimTarget
from provisioning.secrets import decrypt


def credentials_for(target: ScimTarget) -> Credentials:
    if target.auth_method == ScimTarget.AuthMethod.OAUTH2:
        return Credentials(
            token_url=target.oauth_token_url,
            client_id=target.oauth_client_id,
            client_secret=decrypt(target.oauth_client_secret_encrypted),
            scope=target.oauth_scope,
        )
    return Credentials(bearer_token=decrypt(target.token_encrypted))


def client_for(target: ScimTarget) -> ScimClient:
    """Build the HTTP client of a target, rate-limited across workers."""
    return ScimClient(
        target.base_url,
        credentials_for(target),
        capabilities=Capabilities.from_dict(target.capabilities) if target.capabilities else None,
        before_request=ratelimit.limiter(f"target:{target.pk}", target.rate_limit),
    )
