"""Google Workspace Directory API client: reads users, never writes (HTTP only, no ORM).

Authenticates as a service account with domain-wide delegation, impersonating
an administrator, with the read-only directory scope. Pages ``users.list``
500 at a time and narrows the listing with the API's own query language
where a scope allows it (``orgDepartment=``, ``orgUnitPath=``, ``manager=``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account
from googleapiclient import discovery
from googleapiclient.errors import HttpError

from provisioning.edge_errors import explain_unreachable
from provisioning.idp.errors import DirectoryError
from provisioning.idp.mapping import GOOGLE_DEFAULT_MAPPING, to_record
from provisioning.records import ExternalRecord

SCOPES = ("https://www.googleapis.com/auth/admin.directory.user.readonly",)
PAGE_SIZE = 500
MAX_RETRIES = 5
MAX_RETRY_WAIT = 120.0
_RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class GoogleConfig:
    """How to reach one Google Workspace directory."""

    service_account_info: Mapping[str, Any]
    admin_email: str
    customer: str = "my_customer"
    domain: str = ""
    # None for Google's own endpoint; a base URL such as "http://host:port/" otherwise.
    api_endpoint: str | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class GoogleScope:
    """Which people the directory listing covers; all empty means everyone."""

    departments: Sequence[str] = ()
    managers: Sequence[str] = ()
    org_units: Sequence[str] = ()

    @property
    def is_everyone(self) -> bool:
        return not (self.departments or self.managers or self.org_units)


@dataclass
class GoogleListing:
    """What one read of the directory returned."""

    users: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_KEY_FIELDS = ("client_email", "private_key", "token_uri")
_NEW_KEY = (
    "Create a new JSON key for the service account in the Google Cloud console "
    "(IAM & Admin → Service accounts → Keys) and paste it here."
)
_NOT_A_KEY = f"This is not a Google service-account JSON key. {_NEW_KEY}"


def _credentials(config: GoogleConfig) -> service_account.Credentials:
    try:
        info = dict(config.service_account_info)
    except (ValueError, TypeError) as exc:
        raise DirectoryError(DirectoryError.CREDENTIALS, _NOT_A_KEY) from exc
    missing = [name for name in _KEY_FIELDS if not info.get(name)]
    if info.get("type") not in (None, "service_account"):
        raise DirectoryError(DirectoryError.CREDENTIALS, _NOT_A_KEY)
    if missing:
        raise DirectoryError(
            DirectoryError.CREDENTIALS,
            f"The service-account JSON key lacks {', '.join(missing)}: paste the whole "
            f"file as downloaded. {_NEW_KEY}",
        )
    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, KeyError, TypeError) as exc:
        # cryptography's text ("ASN.1 parsing error: short data") says only
        # that the PEM block is damaged or cut short.
        raise DirectoryError(
            DirectoryError.CREDENTIALS,
            "The private key in the service-account JSON is damaged or incomplete "
            f"(often cut short when copied). {_NEW_KEY}",
        ) from exc
    return creds.with_subject(config.admin_email)


def _service(config: GoogleConfig) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(
        _credentials(config), http=httplib2.Http(timeout=config.timeout)
    )
    options = {"api_endpoint": config.api_endpoint} if config.api_endpoint else None
    return discovery.build(
        "admin",
        "directory_v1",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def _refresh_error(exc: auth_exceptions.RefreshError) -> DirectoryError:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error", ""))
    detail = str(data.get("error_description", "")) or str(exc.args[0] if exc.args else exc)
    if code in {"unauthorized_client", "access_denied"}:
        return DirectoryError(
            DirectoryError.CONSENT,
            "Google refused the read-only directory scope for this service account: "
            "grant it domain-wide delegation for "
            f"{SCOPES[0]} in the Admin console ({detail}).",
        )
    return DirectoryError(
        DirectoryError.CREDENTIALS,
        f"Google did not accept the service-account key or the administrator ({detail}).",
    )


def _http_error(exc: HttpError) -> DirectoryError:
    status = exc.resp.status
    try:
        message = json.loads(exc.content.decode())["error"]["message"]
    except (ValueError, KeyError, TypeError, AttributeError):
        message = exc.reason if hasattr(exc, "reason") else str(exc)
    if status == 401:
        return DirectoryError(
            DirectoryError.CREDENTIALS, f"Google did not accept the credentials ({message})."
        )
    if status == 403:
        return DirectoryError(
            DirectoryError.CONSENT,
            "The impersonated administrator may not read users, or the scope "
            f"is missing ({message}).",
        )
    if status in {400, 404}:
        return DirectoryError(
            DirectoryError.PROTOCOL,
            f"Google rejected the request: check the customer or domain ({message}).",
        )
    return DirectoryError(
        DirectoryError.UNREACHABLE, f"Google answered {status} ({message}); try again later."
    )


def _execute(request: Any, *, sleep: Any = time.sleep) -> dict[str, Any]:
    """Run one API request, waiting out 429/5xx as ``Retry-After`` asks."""
    attempt = 0
    while True:
        try:
            return request.execute()
        except HttpError as exc:
            if exc.resp.status not in _RETRY_STATUSES or attempt >= MAX_RETRIES:
                raise _http_error(exc) from exc
            retry_after = exc.resp.get("retry-after")
            try:
                wait = float(retry_after) if retry_after else 2.0**attempt
            except ValueError:
                wait = 2.0**attempt
            sleep(min(wait, MAX_RETRY_WAIT))
            attempt += 1
        except auth_exceptions.RefreshError as exc:
            raise _refresh_error(exc) from exc
        except (auth_exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise DirectoryError(
                DirectoryError.UNREACHABLE, explain_unreachable(exc, "Google")
            ) from exc


def _list_kwargs(config: GoogleConfig) -> dict[str, Any]:
    if config.domain:
        return {"domain": config.domain}
    return {"customer": config.customer or "my_customer"}


def iter_users(
    config: GoogleConfig,
    *,
    query: str | None = None,
    projection: str = "full",
    service: Any = None,
    page_size: int = PAGE_SIZE,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of Directory API users matching ``query`` (all users if None)."""
    service = service or _service(config)
    token: str | None = None
    while True:
        kwargs = _list_kwargs(config) | {
            "maxResults": page_size,
            "projection": projection,
            "viewType": "admin_view",
        }
        if query:
            kwargs["query"] = query
        if token:
            kwargs["pageToken"] = token
        page = _execute(service.users().list(**kwargs))
        yield page.get("users", [])
        token = page.get("nextPageToken")
        if not token:
            return


def fetch_users(config: GoogleConfig, scope: GoogleScope | None = None) -> GoogleListing:
    """Read every user in ``scope``; a person found by several criteria appears once.

    Managers named in the scope are included along with everyone under them.
    Raises DirectoryError with a reason on refusal or network failure.
    """
    scope = scope or GoogleScope()
    service = _service(config)
    listing = GoogleListing()
    seen: set[str] = set()

    def take(query: str | None) -> None:
        for page in iter_users(config, query=query, service=service):
            listing.requests += 1
            for user in page:
                key = user.get("id") or user.get("primaryEmail", "")
                if key not in seen:
                    seen.add(key)
                    listing.users.append(user)

    if scope.is_everyone:
        take(None)
        return listing
    for department in scope.departments:
        take(f"orgDepartment={_quote(department)}")
    for path in scope.org_units:
        take(f"orgUnitPath={_quote(path)}")
    for manager in scope.managers:
        take(f"email={_quote(manager)}")
        take(f"manager={_quote(manager)}")
    return listing


def list_departments(config: GoogleConfig) -> list[str]:
    """Return the departments people have in the directory, sorted."""
    departments: set[str] = set()
    for page in iter_users(config, projection="basic"):
        for user in page:
            for org in user.get("organizations") or []:
                if org.get("department"):
                    departments.add(org["department"])
    return sorted(departments)


def test_connection(config: GoogleConfig) -> int:
    """Read one page of one user; return how many users it held (0 or 1).

    Raises DirectoryError naming bad credentials, missing delegation or
    scope, or an unreachable service.
    """
    page = next(iter_users(config, projection="basic", page_size=1))
    return len(page)


def to_records(
    users: Sequence[Mapping[str, Any]], mapping: Mapping[str, str] | None = None
) -> Iterator[ExternalRecord]:
    """Turn Directory API users into records, through ``mapping`` (the default if None)."""
    mapping = mapping or GOOGLE_DEFAULT_MAPPING
    for position, user in enumerate(users, start=1):
        yield to_record(user, mapping, row=position)
