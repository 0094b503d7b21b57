"""A local Google Workspace: the OAuth token endpoint (JWT-bearer grant) and the
Directory API's ``users.list``/``users.get``, in Google's documented wire format."""

from __future__ import annotations

import base64
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.provisioning.idp.directory import Directory, Employee
from tests.provisioning.idp.fake_groups import GOOGLE_GROUPS_PATH, GroupBook, google_groups
from tests.provisioning.idp.fake_http import FakeServer

READONLY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
GROUP_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly"
# google-auth signs every assertion for Google's own token endpoint.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
USERS_PATH = "/admin/directory/v1/users"
_QUERY = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def google_user(person: Employee, directory: Directory) -> dict[str, Any]:
    """Render a person as a Directory API ``admin#directory#user`` resource."""
    user: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": str(10**20 + person.index),
        "primaryEmail": person.email,
        "name": {
            "givenName": person.given_name,
            "familyName": person.family_name,
            "fullName": person.full_name,
        },
        "isAdmin": person.index == 0,
        "suspended": not person.enabled,
        "archived": person.archived,
        "orgUnitPath": person.org_unit,
        "organizations": [
            {
                "primary": True,
                "customType": "",
                "department": person.department,
                "costCenter": f"CC{person.index % 40}",
            }
            | ({"title": person.title} if person.title else {})
        ],
        # The Admin console writes "desk" as the area of every desk location.
        "locations": [
            {"type": "desk", "area": "desk"}
            | ({"buildingId": person.building} if person.building else {})
        ],
    }
    if person.employee_id:
        user["externalIds"] = [{"type": "organization", "value": person.employee_id}]
    phones = [{"type": "work", "value": person.phone}] if person.phone else []
    if person.mobile:
        phones.append({"type": "mobile", "value": person.mobile})
    if phones:
        user["phones"] = phones
    if person.manager is not None:
        user["relations"] = [{"type": "manager", "value": directory.people[person.manager].email}]
    return user


class FakeGoogle(FakeServer):
    """Google's token endpoint and Directory API over one directory."""

    def __init__(self, directory: Directory, *, domain: str = "example.com") -> None:
        super().__init__()
        self.directory = directory
        self.domain = domain
        self.customer_id = "C0123abcd"
        self.key = new_private_key()
        self.client_email = "roster-sync@roster-test.iam.gserviceaccount.com"
        self.delegated_scopes = {READONLY_SCOPE, GROUP_SCOPE}
        self.book = GroupBook()
        self.admins = {f"admin@{domain}"}
        self.admin_can_read = True
        self.tokens: set[str] = set()
        self._cache: dict[tuple[str, int], list[Employee]] = {}
        # The search index behind ``query=`` lags changes (documented: up to
        # 36 hours); ``freeze_index`` makes queries answer from a stale copy.
        self.index: list[Employee] | None = None
        # The next N list requests answer 403 with this documented reason.
        self.rate_limited = 0
        self.rate_limit_reason = "userRateLimitExceeded"

    def is_throttled(self, path: str) -> bool:
        return path.startswith((USERS_PATH, GOOGLE_GROUPS_PATH))

    def service_account_info(self, *, key: rsa.RSAPrivateKey | None = None) -> dict[str, str]:
        """A service-account JSON key as the Cloud console downloads it, aimed at this server."""
        return {
            "type": "service_account",
            "project_id": "roster-test",
            "private_key_id": "0123456789abcdef",
            "private_key": _pem(key or self.key),
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": f"{self.base_url}/token",
        }

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/"

    # --- HTTP -------------------------------------------------------------
    def handle(self, method, path, query, body, handler):
        if method == "POST" and path == "/token":
            return self._token(body)
        if method == "GET" and path.startswith(GOOGLE_GROUPS_PATH):
            auth = handler.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.tokens:
                return _error(401, "Login Required.", "required")
            if self.rate_limited:
                with self.lock:
                    self.rate_limited -= 1
                return _error(403, "Quota exceeded for quota metric.", self.rate_limit_reason)
            answer = google_groups(self.book, self.directory, path, query)
            if answer is not None:
                return answer
        if method == "GET" and path.startswith(USERS_PATH):
            auth = handler.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.tokens:
                return _error(401, "Login Required.", "required")
            if not self.admin_can_read:
                return _error(403, "Not Authorized to access this resource/api", "forbidden")
            if path == USERS_PATH:
                if self.rate_limited:
                    with self.lock:
                        self.rate_limited -= 1
                    return _error(403, "Quota exceeded for quota metric.", self.rate_limit_reason)
                return self._list(query)
            return self._get(unquote(path[len(USERS_PATH) + 1 :]))
        return _error(404, "Not Found", "notFound")

    def _token(self, body: bytes):
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}, {}
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.key.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
            )
        except jwt.PyJWTError:
            bad = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            return 400, bad, {}
        if claims.get("iss") != self.client_email:
            return 400, {"error": "invalid_grant", "error_description": "Invalid issuer."}, {}
        if claims.get("sub") not in self.admins:
            return (
                400,
                {"error": "invalid_grant", "error_description": "Invalid email or User ID"},
                {},
            )
        requested = set(str(claims.get("scope", "")).split())
        if not requested or not requested <= self.delegated_scopes:
            return (
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens "
                    "using this method, or client not authorized for any of the scopes "
                    "requested.",
                },
                {},
            )
        token = "ya29." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def _matching(self, query: str) -> list[Employee]:
        stale = bool(query) and self.index is not None
        key = (query, self.directory.seq)
        if not stale and key in self._cache:
            return self._cache[key]
        people = list(self.index or ()) if stale else self.directory.live()
        for field, raw in _QUERY.findall(query):
            value = raw.strip("'").replace("\\'", "'").lower()
            if field == "orgDepartment":
                people = [p for p in people if p.department.lower() == value]
            elif field == "orgUnitPath":
                people = [
                    p
                    for p in people
                    if p.org_unit.lower() == value or p.org_unit.lower().startswith(value + "/")
                ]
            elif field in {"manager", "directManager"}:
                boss = self.directory.by_email(value)
                if boss is None:
                    people = []
                    continue
                if field == "manager":
                    under = {p.index for p in self.directory.reports_under(boss.index)}
                else:
                    under = {p.index for p in people if p.manager == boss.index}
                people = [p for p in people if p.index in under]
            elif field == "email":
                people = [p for p in people if p.email == value]
            elif field == "isSuspended":
                people = [p for p in people if (not p.enabled) == (value == "true")]
        if not stale:
            self._cache[key] = people
        return people

    def freeze_index(self) -> None:
        """Make ``query=`` searches answer from the directory as it is now."""
        self.index = self.directory.live()

    def _list(self, query: dict[str, str]):
        customer, domain = query.get("customer"), query.get("domain")
        if not (customer in {"my_customer", self.customer_id} or domain == self.domain):
            return _error(400, "Bad Request", "badRequest")
        size = min(int(query.get("maxResults", 100)), 500)
        offset = int(base64.urlsafe_b64decode(query["pageToken"])) if "pageToken" in query else 0
        people = self._matching(query.get("query", ""))
        page = people[offset : offset + size]
        payload: dict[str, Any] = {
            "kind": "admin#directory#users",
            "etag": f'"{int(time.time())}"',
        }
        if page:
            payload["users"] = [google_user(p, self.directory) for p in page]
        if offset + size < len(people):
            payload["nextPageToken"] = base64.urlsafe_b64encode(
                str(offset + size).encode()
            ).decode()
        return 200, payload, {}

    def _get(self, user_key: str):
        person = self.directory.by_email(user_key)
        if person is None:
            return _error(404, "Resource Not Found: userKey", "notFound")
        return 200, google_user(person, self.directory), {}


def _error(status: int, message: str, reason: str):
    return (
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
            }
        },
        {},
    )
