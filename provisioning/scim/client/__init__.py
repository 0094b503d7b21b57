"""The HTTP edge to a downstream SCIM 2.0 service. No ORM: dataclasses in, dataclasses out.

``session`` holds ScimClient (requests, discovery, users), ``oauth`` the
Authorization header, ``errors`` what a refused request turns into, and
``values`` the dataclasses crossing this boundary. The names are
re-exported here so callers import ``provisioning.scim.client``.
"""

from provisioning.scim.client.errors import TRANSIENT_STATUSES, Conflict, NotFound, ScimError
from provisioning.scim.client.session import DEFAULT_TIMEOUT, ScimClient, ScimUser
from provisioning.scim.client.values import BulkOutcome, Capabilities, Credentials, RemoteUser, Sent

__all__ = [
    "DEFAULT_TIMEOUT",
    "TRANSIENT_STATUSES",
    "BulkOutcome",
    "Capabilities",
    "Conflict",
    "Credentials",
    "NotFound",
    "RemoteUser",
    "ScimClient",
    "ScimError",
    "ScimUser",
    "Sent",
]
