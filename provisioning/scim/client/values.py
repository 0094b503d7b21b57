"""The dataclasses that cross the SCIM client's boundary: credentials in, users and outcomes out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: a bearer token, or OAuth 2.0 client credentials."""

    bearer_token: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""

    def __repr__(self) -> str:  # never let a secret reach a log line
        hidden = "***" if self.bearer_token else ""
        return f"Credentials(bearer={hidden}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class Capabilities:
    """What a target's /ServiceProviderConfig (and friends) advertise."""

    patch: bool = True
    bulk: bool = False
    bulk_max_operations: int = 0
    bulk_max_payload_size: int = 0
    filter: bool = True
    filter_max_results: int = 0
    etag: bool = False
    sort: bool = False
    authentication_schemes: list[str] = field(default_factory=list)
    resource_types: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    users_endpoint: str = "/Users"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Capabilities:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass(frozen=True)
class RemoteUser:
    """A user as the target holds it."""

    id: str
    user_name: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class BulkOutcome:
    """The result of one operation of a Bulk request."""

    key: str
    status: int
    remote_id: str | None
    error: str


@dataclass
class Sent:
    """A request as it went (or would go) on the wire: for counting and dry runs."""

    method: str
    path: str
    body: Any = None
    params: Any = None
