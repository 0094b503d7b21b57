"""Microsoft Entra ID client over Microsoft Graph: reads users, never writes (HTTP only, no ORM).

Gets an app-only token with the client-credentials grant (msal), lists
``/v1.0/users`` 999 at a time following ``@odata.nextLink``, reads managers
with ``$expand=manager`` (Graph caps those pages at 100), and follows
``/v1.0/users/delta`` links for incremental runs. A 429 or 503 is retried
after the ``Retry-After`` the service asks for.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msal
import requests

from provisioning.edge_errors import explain_unreachable
from provisioning.idp.errors import DeltaExpired, DirectoryError
from provisioning.idp.mapping import ENTRA_DEFAULT_MAPPING, read_path, to_record
from provisioning.records import ExternalRecord

PAGE_SIZE = 999
MANAGER_PAGE_SIZE = 100
MAX_RETRIES = 5
MAX_RETRY_WAIT = 120.0
_RETRY_STATUSES = {429, 500, 502, 503, 504}
BASE_SELECT = (
    "id",
    "mail",
    "userPrincipalName",
    "employeeId",
    "givenName",
    "surname",
    "displayName",
    "jobTitle",
    "department",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "accountEnabled",
)
# Token errors that mean the tenant has not granted the application's permissions.
_CONSENT_CODES = {65001, 65004, 500011, 7000112, 50105}


@dataclass(frozen=True)
class EntraConfig:
    """How to reach one Entra tenant."""

    tenant_id: str
    client_id: str
    client_secret: str
    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    # A CA bundle for TLS inspection proxies (and local test servers).
    ca_bundle: str | None = None
    timeout: float = 60.0


@dataclass
class EntraListing:
    """Users read from Graph, keyed by object id, plus where to pick up changes next time."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    delta_link: str = ""
    requests: int = 0
    is_delta: bool = False


def select_fields(mapping: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the user properties to ``$select``: the defaults plus any the mapping reads."""
    fields = list(BASE_SELECT)
    for path in (mapping or {}).values():
        for alternative in path.split("|"):
            top = alternative.strip().lstrip("!").split(".")[0].split("[")[0]
            if top and top != "manager" and top not in fields:
                fields.append(top)
    return tuple(fields)


class GraphClient:
    """A signed-in Graph session; use as a context manager."""

    def __init__(self, config: EntraConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.requests = 0
        self._sleep = sleep
        token = acquire_token(config)
        verify: ssl.SSLContext | bool = True
        if config.ca_bundle:
            verify = ssl.create_default_context(cafile=config.ca_bundle)
        self._http = httpx.Client(
            verify=verify,
            timeout=config.timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def url(self, path: str) -> str:
        return f"{self.config.graph_url.rstrip('/')}/v1.0/{path.lstrip('/')}"

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET one Graph page, waiting out throttling; raise DirectoryError on refusal."""
        attempt = 0
        while True:
            try:
                response = self._http.get(url, params=params)
            except httpx.HTTPError as exc:
                raise DirectoryError(
                    DirectoryError.UNREACHABLE, explain_unreachable(exc, "Microsoft Graph")
                ) from exc
            self.requests += 1
            if response.status_code in _RETRY_STATUSES and attempt < MAX_RETRIES:
                header = response.headers.get("Retry-After", "")
                try:
                    wait = float(header) if header else 2.0**attempt
                except ValueError:
                    wait = 2.0**attempt
                self._sleep(min(wait, MAX_RETRY_WAIT))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise _graph_error(response)
            return response.json()

    def pages(self, url: str, params: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Yield every page of a collection, following ``@odata.nextLink``."""
        page = self.get(url, params)
        yield page
        while page.get("@odata.nextLink"):
            page = self.get(page["@odata.nextLink"])
            yield page


def _graph_error(response: httpx.Response) -> DirectoryError:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code = str(error.get("code", ""))
    message = str(error.get("message", "")) or response.reason_phrase
    if response.status_code == 410 or code in {"syncStateNotFound", "resyncRequired"}:
        return DeltaExpired(f"The saved change link has expired ({message}).")
    if response.status_code == 401:
        return DirectoryError(
            DirectoryError.CREDENTIALS, f"Microsoft Graph did not accept the token ({message})."
        )
    if response.status_code == 403:
        return DirectoryError(
            DirectoryError.CONSENT,
            "The application lacks the User.Read.All application permission or an "
            f"administrator has not granted consent ({message}).",
        )
    if response.status_code in {400, 404}:
        return DirectoryError(
            DirectoryError.PROTOCOL, f"Microsoft Graph rejected the request ({message})."
        )
    return DirectoryError(
        DirectoryError.UNREACHABLE,
        f"Microsoft Graph answered {response.status_code} ({message}); try again later.",
    )


def acquire_token(config: EntraConfig) -> str:
    """Return an app-only Graph access token (client-credentials grant).

    Raises DirectoryError: CREDENTIALS for an unknown tenant, client or secret;
    CONSENT when the tenant has not granted the application; UNREACHABLE.
    """
    authority = f"{config.authority_host.rstrip('/')}/{config.tenant_id}"
    session = requests.Session()
    # Passed per request: requests lets REQUESTS_CA_BUNDLE override a session's own
    # ``verify``, which would silently drop the configured bundle.
    session.request = functools.partial(  # type: ignore[method-assign]
        session.request, verify=config.ca_bundle or True, timeout=config.timeout
    )
    try:
        app = msal.ConfidentialClientApplication(
            config.client_id,
            client_credential=config.client_secret,
            authority=authority,
            instance_discovery=False,
            http_client=session,
        )
        result = app.acquire_token_for_client(scopes=[f"{config.graph_url.rstrip('/')}/.default"])
    except requests.exceptions.RequestException as exc:
        raise DirectoryError(
            DirectoryError.UNREACHABLE, explain_unreachable(exc, "Microsoft Entra ID")
        ) from exc
    except ValueError as exc:
        # MSAL's "Unable to get authority configuration for …".
        raise DirectoryError(
            DirectoryError.CREDENTIALS,
            f"Microsoft Entra ID does not know the tenant “{config.tenant_id}”: check the "
            "tenant ID (Directory ID in the Entra admin centre, Overview).",
        ) from exc
    if "access_token" in result:
        return str(result["access_token"])
    error = str(result.get("error", ""))
    codes = set(result.get("error_codes") or [])
    description = str(result.get("error_description", "")).split("\r\n")[0]
    code = f"AADSTS{min(codes)}" if codes else (description.split(":")[0] or error)
    if codes & _CONSENT_CODES or error == "consent_required":
        return _raise(
            DirectoryError.CONSENT,
            "An administrator has not granted the application's permissions in this "
            "tenant: grant admin consent for User.Read.All under API permissions "
            f"(Microsoft's code {code}).",
        )
    for known, advice in _SIGN_IN_ADVICE.items():
        if known in codes:
            return _raise(DirectoryError.CREDENTIALS, f"{advice} (Microsoft's code {code}).")
    return _raise(
        DirectoryError.CREDENTIALS,
        "Microsoft Entra ID did not accept the client ID or secret: check the "
        f"application (client) ID and enter a current client secret (Microsoft's code {code}).",
    )


# AADSTS error codes of a client-credentials sign-in, and what to fix.
_SIGN_IN_ADVICE = {
    700016: "No application with this client ID exists in the tenant: check the "
    "application (client) ID and the tenant ID",
    7000215: "The client secret is wrong: enter the secret's Value (not its ID) "
    "from Certificates & secrets",
    7000222: "The client secret has expired: create a new one under Certificates & "
    "secrets and enter it here",
    90002: "Microsoft Entra ID does not know this tenant: check the tenant ID",
}


def _raise(reason: str, message: str) -> str:
    raise DirectoryError(reason, message)


def fetch_users(
    config: EntraConfig,
    *,
    mapping: Mapping[str, str] | None = None,
    with_delta: bool = True,
    client: GraphClient | None = None,
) -> EntraListing:
    """Read every user with their manager's id; start a delta link first when asked.

    The delta link is taken before the listing, so a change made while it runs
    is read again on the next incremental run rather than lost.
    """
    select = ",".join(select_fields(mapping))
    own = client is None
    client = client or GraphClient(config)
    listing = EntraListing()
    try:
        if with_delta:
            page = client.get(
                client.url("users/delta"),
                # Delta tracks only what is selected: ``manager`` adds manager@delta.
                {"$select": f"{select},manager", "$deltatoken": "latest"},
            )
            while "@odata.deltaLink" not in page and page.get("@odata.nextLink"):
                page = client.get(page["@odata.nextLink"])
            listing.delta_link = page.get("@odata.deltaLink", "")
        for page in client.pages(client.url("users"), {"$select": select, "$top": PAGE_SIZE}):
            for user in page.get("value", []):
                listing.users[user["id"]] = user
        params = {
            "$select": "id",
            "$expand": "manager($select=id)",
            "$top": MANAGER_PAGE_SIZE,
        }
        for page in client.pages(client.url("users"), params):
            for user in page.get("value", []):
                entry = listing.users.get(user["id"])
                if entry is not None:
                    entry["managerId"] = (user.get("manager") or {}).get("id")
    finally:
        listing.requests = client.requests
        if own:
            client.__exit__()
    return listing


def fetch_changes(config: EntraConfig, delta_link: str, *, client: GraphClient | None = None):
    """Follow ``delta_link``: users changed since (changed properties only) and removals.

    Raises DeltaExpired when Graph no longer knows the link (410
    ``syncStateNotFound``); the caller then runs in full.
    """
    own = client is None
    client = client or GraphClient(config)
    listing = EntraListing(is_delta=True)
    try:
        page = client.get(delta_link)
        while True:
            for change in page.get("value", []):
                object_id = change["id"]
                if "@removed" in change:
                    listing.removed.add(object_id)
                    listing.users.pop(object_id, None)
                    continue
                entry = listing.users.setdefault(object_id, {})
                entry.update({k: v for k, v in change.items() if "@" not in k})
                if "manager@delta" in change:
                    managers = [m for m in change["manager@delta"] if "@removed" not in m]
                    entry["managerId"] = managers[0]["id"] if managers else None
            if page.get("@odata.nextLink"):
                page = client.get(page["@odata.nextLink"])
                continue
            listing.delta_link = page.get("@odata.deltaLink", delta_link)
            break
    finally:
        listing.requests = client.requests
        if own:
            client.__exit__()
    return listing


def group_member_ids(config: EntraConfig, group_ids: Sequence[str], *, client: GraphClient):
    """Return the ids of users in the groups, nested groups included."""
    members: set[str] = set()
    for group_id in group_ids:
        url = client.url(f"groups/{group_id}/transitiveMembers/microsoft.graph.user")
        for page in client.pages(url, {"$select": "id", "$top": PAGE_SIZE}):
            members.update(user["id"] for user in page.get("value", []))
    return members


def test_connection(config: EntraConfig) -> int:
    """Get a token and read one user; return how many users that page held.

    Raises DirectoryError naming bad credentials, missing consent or
    permission, or an unreachable service.
    """
    with GraphClient(config) as client:
        page = client.get(client.url("users"), {"$select": "id", "$top": 1})
    return len(page.get("value", []))


def to_records(
    users: Mapping[str, Mapping[str, Any]],
    mapping: Mapping[str, str] | None = None,
    *,
    only: Sequence[str] | None = None,
) -> Iterator[ExternalRecord]:
    """Turn Graph users (keyed by id, with ``managerId``) into records.

    ``manager`` in a field path is the manager's own entry, looked up by id.
    """
    mapping = mapping or ENTRA_DEFAULT_MAPPING
    ids = only if only is not None else users.keys()
    for position, object_id in enumerate(ids, start=1):
        user = users[object_id]
        manager_id = user.get("managerId")
        data = dict(user)
        data["manager"] = users.get(manager_id) if manager_id else None
        yield to_record(data, mapping, row=position)


__all__ = [
    "EntraConfig",
    "EntraListing",
    "GraphClient",
    "acquire_token",
    "fetch_changes",
    "fetch_users",
    "group_member_ids",
    "read_path",
    "select_fields",
    "test_connection",
    "to_records",
]
