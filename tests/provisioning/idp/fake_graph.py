"""A local Microsoft identity platform and Graph: OpenID discovery, the v2.0 token
endpoint (client-credentials grant), ``/v1.0/users`` (``$select``, ``$top``,
``$expand=manager``, ``@odata.nextLink``), ``/v1.0/users/delta`` and group
membership, in Microsoft's documented wire format, over TLS."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.provisioning.idp.directory import Directory, Employee
from tests.provisioning.idp.fake_groups import GraphGroups, GroupBook
from tests.provisioning.idp.fake_http import FakeServer, self_signed_cert

DELTA_PAGE = 200
# Directory attribute -> Graph properties it shows in.
_GRAPH_FIELDS = {
    "email": ("mail", "userPrincipalName"),
    "has_mail": ("mail",),
    "mobile": ("mobilePhone",),
    "employee_id": ("employeeId",),
    "given_name": ("givenName", "displayName"),
    "family_name": ("surname", "displayName"),
    "title": ("jobTitle",),
    "department": ("department",),
    "phone": ("businessPhones",),
    "building": ("officeLocation",),
    "enabled": ("accountEnabled",),
}


def graph_user(person: Employee) -> dict[str, Any]:
    """Render a person as a Graph ``microsoft.graph.user`` with the default-ish properties."""
    return {
        "id": person.object_id,
        # Cloud-only accounts without a mailbox have no ``mail``.
        "mail": person.email if person.has_mail else None,
        "userPrincipalName": person.email,
        "employeeId": person.employee_id or None,
        "givenName": person.given_name,
        "surname": person.family_name,
        "displayName": person.full_name,
        "jobTitle": person.title or None,
        "department": person.department,
        # Free text as typed in the admin centre; [] when there is none.
        "businessPhones": [person.phone] if person.phone else [],
        "mobilePhone": person.mobile or None,
        "officeLocation": person.building or None,
        "accountEnabled": person.enabled,
        "companyName": "Example Ltd",
        "employeeOrgData": {"costCenter": f"CC{person.index % 40}", "division": "Main"},
    }


def _pick(user: dict[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return user
    fields = [f.strip() for f in select.split(",") if f.strip()]
    return {"id": user["id"]} | {f: user.get(f) for f in fields if f in user}


class FakeGraph(FakeServer):
    """The token endpoint and Graph over one directory."""

    def __init__(self, directory: Directory, *, workdir: Path) -> None:
        self.cert_path, key_path = self_signed_cert(workdir)
        super().__init__(cert=(self.cert_path, key_path))
        self.directory = directory
        self.tenant_id = "11111111-2222-3333-4444-555555555555"
        self.client_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        self.client_secret = "s3cr3t~value." + secrets.token_urlsafe(8)
        self.consented = True
        self.has_permission = True
        self.tokens: set[str] = set()
        self.groups: dict[str, set[int]] = {}
        self.expired_tokens: set[str] = set()
        # Groups Roster brings in (``/groups``, ``/groups/{id}/members``, ``/groups/delta``).
        self.book = GroupBook()
        self.group_api = GraphGroups(self.book, directory, self.base_url)

    def is_throttled(self, path: str) -> bool:
        return path.startswith("/v1.0/")

    # --- HTTP -------------------------------------------------------------
    def handle(self, method, path, query, body, handler):
        prefix = f"/{self.tenant_id}"
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            if not path.startswith(prefix + "/"):
                tenant = path.split("/")[1]
                return (
                    400,
                    {
                        "error": "invalid_tenant",
                        "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                        "error_codes": [90002],
                    },
                    {},
                )
            base = f"{self.base_url}{prefix}"
            return (
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                },
                {},
            )
        if method == "POST" and path == f"{prefix}/oauth2/v2.0/token":
            return self._token(body)
        if not path.startswith("/v1.0/"):
            return _graph_error(404, "Request_ResourceNotFound", "Not found.")
        auth = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if auth not in self.tokens:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if not self.has_permission:
            return _graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        if path == "/v1.0/users":
            return self._users(query)
        if path == "/v1.0/users/delta":
            return self._delta(query)
        if path.startswith("/v1.0/groups/") and path.endswith(
            "/transitiveMembers/microsoft.graph.user"
        ):
            return self._group(path.split("/")[3], query)
        if path.startswith("/v1.0/groups"):
            answer = self.group_api.handle(path, query)
            if answer is not None:
                return answer
        return _graph_error(400, "BadRequest", f"Unsupported path {path}.")

    def _token(self, body: bytes):
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, {}
        if form.get("client_id") != self.client_id:
            return (
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application with identifier "
                    f"'{form.get('client_id')}' was not found in the directory.",
                    "error_codes": [700016],
                },
                {},
            )
        if form.get("client_secret") != self.client_secret:
            return (
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret "
                    "value, not the client secret ID.",
                    "error_codes": [7000215],
                },
                {},
            )
        if not self.consented:
            return (
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS65001: The user or administrator has not "
                    f"consented to use the application with ID '{self.client_id}'.",
                    "error_codes": [65001],
                },
                {},
            )
        token = "eyJ0eXAi." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return (
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
            {},
        )

    def _link(self, path: str, params: dict[str, Any]) -> str:
        return f"{self.base_url}/v1.0/{path}?{urlencode(params)}"

    def _users(self, query: dict[str, str]):
        expand = query.get("$expand", "")
        top_limit = 100 if expand else 999
        top = min(int(query.get("$top", 100)), top_limit)
        offset = int(query.get("$skiptoken", "0") or 0)
        people = self.directory.live()
        page = people[offset : offset + top]
        value = []
        for person in page:
            user = _pick(graph_user(person), query.get("$select"))
            if expand.startswith("manager") and person.manager is not None:
                boss = graph_user(self.directory.people[person.manager])
                user["manager"] = {"@odata.type": "#microsoft.graph.user"} | _pick(
                    boss, "id" if "$select=id" in expand else None
                )
            value.append(user)
        payload: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": value,
        }
        if offset + top < len(people):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            payload["@odata.nextLink"] = self._link("users", params | {"$skiptoken": offset + top})
        return 200, payload, {}

    def _delta(self, query: dict[str, str]):
        select = query.get("$select")
        token = query.get("$deltatoken")
        if token == "latest":
            return 200, {"value": [], "@odata.deltaLink": self._delta_link(select)}, {}
        if token is None and "$skiptoken" not in query:
            return _graph_error(400, "BadRequest", "Only $deltatoken=latest is served here.")
        if token in self.expired_tokens:
            return _graph_error(
                410, "syncStateNotFound", "Resync required. Replace any local cached data."
            )
        since, _, offset_text = (token or query["$skiptoken"]).partition(":")
        since_seq, offset = int(since), int(offset_text or 0)
        changed: dict[int, set[str]] = {}
        with self.directory.lock:
            upto = self.directory.seq
            for seq, index, fields in self.directory.log:
                if since_seq < seq <= upto:
                    changed.setdefault(index, set()).update(fields)
        indexes = sorted(changed)
        selected = {f.strip() for f in (select or "").split(",") if f.strip()}
        value = []
        for index in indexes[offset : offset + DELTA_PAGE]:
            person = self.directory.people[index]
            if "@deleted" in changed[index]:
                value.append({"id": person.object_id, "@removed": {"reason": "changed"}})
                continue
            full = graph_user(person)
            entry: dict[str, Any] = {"id": person.object_id}
            for field in changed[index]:
                for prop in _GRAPH_FIELDS.get(field, ()):
                    if not selected or prop in selected:
                        entry[prop] = full[prop]
            if "manager" in changed[index] and (not selected or "manager" in selected):
                boss = person.manager
                entry["manager@delta"] = (
                    [
                        {
                            "@odata.type": "#microsoft.graph.user",
                            "id": self.directory.people[boss].object_id,
                        }
                    ]
                    if boss is not None
                    else []
                )
            value.append(entry)
        payload: dict[str, Any] = {"value": value}
        if offset + DELTA_PAGE < len(indexes):
            params = {"$skiptoken": f"{since_seq}:{offset + DELTA_PAGE}"}
            if select:
                params["$select"] = select
            payload["@odata.nextLink"] = self._link("users/delta", params)
        else:
            payload["@odata.deltaLink"] = self._delta_link(select, upto)
        return 200, payload, {}

    def _delta_link(self, select: str | None, seq: int | None = None) -> str:
        params: dict[str, Any] = {"$deltatoken": str(self.directory.seq if seq is None else seq)}
        if select:
            params["$select"] = select
        return self._link("users/delta", params)

    def expire_delta_links(self) -> None:
        """Make every delta link handed out so far answer 410 syncStateNotFound."""
        self.expired_tokens.update(str(n) for n in range(self.directory.seq + 1))

    def _group(self, group_id: str, query: dict[str, str]):
        if group_id not in self.groups:
            return _graph_error(404, "Request_ResourceNotFound", f"Group {group_id} not found.")
        members = [self.directory.people[i] for i in sorted(self.groups[group_id])]
        return 200, {"value": [{"id": p.object_id} for p in members]}, {}


def _graph_error(status: int, code: str, message: str):
    return (
        status,
        {"error": {"code": code, "message": message, "innerError": {"request-id": "fake"}}},
        {},
    )
