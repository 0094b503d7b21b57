"""Google Workspace Directory API client: reads users, never writes (HTTP only, no ORM).

Authenticates as a service account with domain-wide delegation, impersonating
an administrator, with the read-only directory scope. Pages ``users.list``
500 at a time. Scopes (departments, managers, organisational units) are
resolved from the full user records read, never with ``query=``: Google's
search index lags changes by up to 36 hours, so a query would miss people who
just moved in or out. 429, 5xx and the 403 rate-limit reasons
(``userRateLimitExceeded``, ``quotaExceeded``, ``rateLimitExceeded``) are
retried with backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
# Google answers 403 (not 429) for these: documented as "retry with
# exponential backoff", not as a refusal.
_RATE_LIMIT_REASONS = {"userRateLimitExceeded", "quotaExceeded", "rateLimitExceeded"}
# Values the Admin console fills in by itself: ``locations[].area`` is "desk"
# unless someone typed an area.
_AREA_PLACEHOLDERS = {"desk"}


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
    # Users the directory returned before the scope was applied.
    fetched: int = 0


_KEY_FIELDS = ("client_email", "private_key", "token_uri")
_NEW_KEY = (
    "Create a new JSON key for the service account in the Google Cloud console "
    "(IAM & Admin → Service accounts → Keys) and paste it here."
)
_NOT_A_KEY = f"This is not a Google service-account JSON key. {_NEW_KEY}"


def _credentials(
    config: GoogleConfig, scopes: Sequence[str] = SCOPES
) -> service_account.Credentials:
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
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, KeyError, TypeError) as exc:
        # cryptography's text ("ASN.1 parsing error: short data") says only
        # that the PEM block is damaged or cut short.
        raise DirectoryError(
            DirectoryError.CREDENTIALS,
            "The private key in the service-account JSON is damaged or incomplete "
            f"(often cut short when copied). {_NEW_KEY}",
        ) from exc
    return creds.with_subject(config.admin_email)


def _service(config: GoogleConfig, scopes: Sequence[str] = SCOPES) -> Any:
    http = google_auth_httplib2.AuthorizedHttp(
        _credentials(config, scopes), http=httplib2.Http(timeout=config.timeout)
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
    if status == 403 and _is_rate_limit(exc):
        return DirectoryError(
            DirectoryError.UNREACHABLE,
            f"Google kept answering that the API rate limit or quota is exceeded ({message}); "
            "the next run tries again.",
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


def _is_rate_limit(exc: HttpError) -> bool:
    if exc.resp.status != 403:
        return False
    try:
        errors = json.loads(exc.content.decode())["error"].get("errors") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return any(isinstance(e, dict) and e.get("reason") in _RATE_LIMIT_REASONS for e in errors)


def _execute(request: Any, *, sleep: Any = time.sleep) -> dict[str, Any]:
    """Run one API request, waiting out 429/5xx and 403 rate limits as
    ``Retry-After`` asks (else with exponential backoff)."""
    attempt = 0
    while True:
        try:
            return request.execute()
        except HttpError as exc:
            retryable = exc.resp.status in _RETRY_STATUSES or _is_rate_limit(exc)
            if not retryable or attempt >= MAX_RETRIES:
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
    The whole directory is read and the scope resolved from the records
    (``in_scope``), so a move is honoured on the next run. Raises
    DirectoryError with a reason on refusal or network failure.
    """
    scope = scope or GoogleScope()
    service = _service(config)
    listing = GoogleListing()
    seen: set[str] = set()
    for page in iter_users(config, service=service):
        listing.requests += 1
        for user in page:
            key = user.get("id") or user.get("primaryEmail", "")
            if key not in seen:
                seen.add(key)
                listing.users.append(user)
    listing.fetched = len(listing.users)
    if not scope.is_everyone:
        listing.users = in_scope(listing.users, scope)
    return listing


def in_scope(users: Sequence[dict[str, Any]], scope: GoogleScope) -> list[dict[str, Any]]:
    """Return the users a scope covers, read from their own records: primary
    department, organisational unit (and those below it), and managers with
    everyone under them through ``relations[type=manager]``."""
    departments = {d.casefold() for d in scope.departments}
    units = [u.rstrip("/").casefold() for u in scope.org_units]
    roots = {m.casefold() for m in scope.managers}
    reports: dict[str, list[str]] = {}
    for user in users:
        for relation in user.get("relations") or []:
            if relation.get("type") == "manager" and relation.get("value"):
                boss = str(relation["value"]).casefold()
                reports.setdefault(boss, []).append(str(user.get("primaryEmail", "")).casefold())
    under: set[str] = set(roots)
    stack = list(roots)
    while stack:
        for child in reports.get(stack.pop(), ()):
            if child not in under:
                under.add(child)
                stack.append(child)
    kept = []
    for user in users:
        orgs = user.get("organizations") or []
        primary = next((o for o in orgs if o.get("primary")), orgs[0] if orgs else {})
        unit = str(user.get("orgUnitPath") or "/").rstrip("/").casefold()
        if (
            str(primary.get("department") or "").casefold() in departments
            or any(u == "" or unit == u or unit.startswith(u + "/") for u in units)
            or str(user.get("primaryEmail", "")).casefold() in under
        ):
            kept.append(user)
    return kept


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
        record = to_record(_without_placeholders(user), mapping, row=position)
        if user.get("archived") and record.is_active is not False:
            # An archived user keeps a licence but cannot sign in.
            record = replace(record, is_active=False)
        yield record


def _without_placeholders(user: Mapping[str, Any]) -> Mapping[str, Any]:
    locations = user.get("locations")
    if not locations or not any(
        isinstance(loc, dict) and str(loc.get("area", "")).casefold() in _AREA_PLACEHOLDERS
        for loc in locations
    ):
        return user
    cleaned = dict(user)
    cleaned["locations"] = [
        {k: v for k, v in loc.items() if k != "area"}
        if isinstance(loc, dict) and str(loc.get("area", "")).casefold() in _AREA_PLACEHOLDERS
        else loc
        for loc in locations
    ]
    return cleaned
