"""ScimClient: one target's HTTP session, its discovery, and its user requests.

Built on scim2-client (over httpx2) with scim2-models validating every
payload Roster sends. The engine's ``request`` is wrapped so that every
request waits for the target's shared rate limit, is counted, carries fresh
credentials, and turns any non-2xx answer into a :class:`ScimError` that says
whether retrying can help and how long the server asked to wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import httpx2
from scim2_client.client import describe_resource_models
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    BulkRequest,
    Context,
    EnterpriseUser,
    PatchOp,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    User,
)

from provisioning.edge_errors import explain_unreachable
from provisioning.scim.client.errors import NotFound, ScimError, error_from_response
from provisioning.scim.client.oauth import authorization
from provisioning.scim.client.values import BulkOutcome, Capabilities, Credentials, RemoteUser, Sent

ScimUser = User[EnterpriseUser]
DEFAULT_TIMEOUT = httpx2.Timeout(20.0, connect=5.0)


def _raw(result: object) -> dict[str, Any]:
    """Return the JSON object scim2-client hands back with ``check_response_payload=False``.

    Its annotations list the parsed models too, since they do not tell that
    flag's value apart; unchecked, the engine returns the decoded body as is.
    """
    return cast(dict[str, Any], result)


class _Engine(SyncSCIMClient):
    """scim2-client's httpx2 engine with Roster's request policy."""

    def __init__(self, owner: ScimClient, client: httpx2.Client, provider: ScimProvider):
        super().__init__(client, provider=provider)
        self.owner = owner

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        return self.owner._request(method, url, **kwargs)


class ScimClient:
    """Talk to one SCIM service provider on behalf of one target."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        capabilities: Capabilities | None = None,
        before_request: Callable[[], None] | None = None,
        timeout: httpx2.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.capabilities = capabilities or Capabilities()
        self.before_request = before_request
        self.sent: list[Sent] = []
        self.http = httpx2.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Accept": "application/scim+json, application/json"},
        )
        models, resource_types = describe_resource_models([ScimUser])
        config = ServiceProviderConfig.model_validate(
            {
                "patch": {"supported": self.capabilities.patch},
                "bulk": {
                    "supported": self.capabilities.bulk,
                    "maxOperations": self.capabilities.bulk_max_operations,
                    "maxPayloadSize": self.capabilities.bulk_max_payload_size,
                },
                "filter": {
                    "supported": self.capabilities.filter,
                    "maxResults": self.capabilities.filter_max_results,
                },
                "etag": {"supported": False},
                "sort": {"supported": self.capabilities.sort},
            }
        )
        self.engine = _Engine(
            self,
            self.http,
            ScimProvider(models=models, resource_types=resource_types, config=config),
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        return len(self.sent)

    # --- transport -----------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        for attempt in (1, 2):
            auth = authorization(self.http, self.credentials, refresh=attempt == 2)
            if auth:
                headers["Authorization"] = auth
            if self.before_request is not None:
                self.before_request()
            self.sent.append(Sent(method, url, kwargs.get("json"), kwargs.get("params")))
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx2.TimeoutException as exc:
                raise ScimError(
                    f"{method} {url} timed out. {explain_unreachable(exc, 'the target')}"
                ) from exc
            except httpx2.RequestError as exc:
                raise ScimError(
                    f"{method} {url} failed. {explain_unreachable(exc, 'the target')}"
                ) from exc
            if response.status_code == 401 and attempt == 1 and self.credentials.token_url:
                continue  # the access token may have expired early
            break
        if response.status_code < 400:
            return response
        raise error_from_response(method, url, response)

    # --- discovery -------------------------------------------------------------

    def discover(self) -> Capabilities:
        """Read /ServiceProviderConfig, and /Schemas and /ResourceTypes where offered.

        Raises ScimError when the configuration cannot be read.
        """
        response = self._request("GET", "/ServiceProviderConfig")
        try:
            config = ServiceProviderConfig.model_validate(response.json())
        except ValueError as exc:  # not JSON, or JSON that is not the resource
            kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
            raise ScimError(
                "GET /ServiceProviderConfig did not answer with a SCIM "
                f"ServiceProviderConfig ({kind}): is {self.base_url} the SCIM base URL?",
                status=response.status_code,
                transient=False,
            ) from exc
        resource_types: list[str] = []
        schemas: list[str] = []
        endpoint = "/Users"
        # Both are optional: a target that offers neither, or answers them
        # with something else, keeps the defaults.
        try:
            rts = self._request("GET", "/ResourceTypes").json()
            found: list[str] = []
            for rt in rts.get("Resources", []) if isinstance(rts, dict) else rts:
                found.append(str(rt.get("name", "")))
                if rt.get("name") == "User" and rt.get("endpoint"):
                    endpoint = str(rt["endpoint"])
            resource_types = found
        except ScimError as exc:
            if exc.transient:
                raise
        except (ValueError, TypeError, AttributeError):
            endpoint = "/Users"
        try:
            body = self._request("GET", "/Schemas").json()
            items = body.get("Resources", []) if isinstance(body, dict) else body
            schemas = [str(s.get("id", "")) for s in items]
        except ScimError as exc:
            if exc.transient:
                raise
        except (ValueError, TypeError, AttributeError):
            schemas = []
        bulk = config.bulk
        flt = config.filter
        caps = Capabilities(
            patch=bool(config.patch and config.patch.supported),
            bulk=bool(bulk and bulk.supported),
            bulk_max_operations=int((bulk and bulk.max_operations) or 0),
            bulk_max_payload_size=int((bulk and bulk.max_payload_size) or 0),
            filter=bool(flt and flt.supported),
            filter_max_results=int((flt and flt.max_results) or 0),
            etag=bool(config.etag and config.etag.supported),
            sort=bool(config.sort and config.sort.supported),
            authentication_schemes=[
                str(s.type) for s in (config.authentication_schemes or []) if s.type
            ],
            resource_types=resource_types,
            schemas=schemas,
            users_endpoint=endpoint,
        )
        self.capabilities = caps
        return caps

    # --- users -------------------------------------------------------------------

    def _user(self, payload: dict[str, Any]) -> RemoteUser:
        return RemoteUser(
            id=str(payload["id"]), user_name=payload.get("userName", ""), payload=payload
        )

    def list_users(self, *, page_size: int = 500) -> Iterator[RemoteUser]:
        """Yield every remote user, one page request at a time (sorted, so pages are stable)."""
        start = 1
        while True:
            params: SearchRequest[Any] = SearchRequest(
                start_index=start,
                count=page_size,
                # scim2-models parses an attribute path from a string (its own
                # docs pass one); its annotation names only the parsed type.
                sort_by="userName" if self.capabilities.sort else None,  # type: ignore[arg-type]
            )
            page = _raw(
                self.engine.query(ScimUser, query_parameters=params, check_response_payload=False)
            )
            resources = page.get("Resources") or []
            for item in resources:
                yield self._user(item)
            total = int(page.get("totalResults") or 0)
            start += len(resources)
            if not resources or start > total:
                return

    def find_user(self, user_name: str) -> RemoteUser | None:
        """Return the remote user whose userName equals ``user_name``, or None."""
        quoted = user_name.replace("\\", "\\\\").replace('"', '\\"')
        # scim2-models parses a filter from a string (its own docs pass one);
        # its annotation names only the parsed type.
        params: SearchRequest[Any] = SearchRequest(
            filter=f'userName eq "{quoted}"'  # type: ignore[arg-type]
        )
        page = _raw(
            self.engine.query(ScimUser, query_parameters=params, check_response_payload=False)
        )
        resources = page.get("Resources") or []
        return self._user(resources[0]) if resources else None

    def get_user(self, remote_id: str) -> RemoteUser:
        """Return one remote user. Raises NotFound."""
        return self._user(
            _raw(self.engine.query(ScimUser, remote_id, check_response_payload=False))
        )

    def create_user(self, payload: dict[str, Any]) -> RemoteUser:
        """POST a new user. Raises Conflict when it already exists."""
        created = self.engine.create(
            ScimUser, ScimUser.model_validate(payload), check_response_payload=False
        )
        return self._user(_raw(created))

    def patch_user(self, remote_id: str, operations: list[dict[str, Any]]) -> None:
        """PATCH only the given operations onto a remote user. Raises NotFound."""
        patch = PatchOp[ScimUser].model_validate({"Operations": operations})
        self.engine.modify(ScimUser, remote_id, patch, check_response_payload=False)

    def replace_user(self, remote_id: str, payload: dict[str, Any]) -> None:
        """PUT the whole user (for targets without PATCH). Raises NotFound."""
        resource = ScimUser.model_validate({**payload, "id": remote_id})
        self.engine.replace(resource, check_response_payload=False)

    def delete_user(self, remote_id: str) -> None:
        """DELETE a remote user; one already gone counts as deleted."""
        try:
            self.engine.delete(ScimUser, remote_id, check_response_payload=False)
        except NotFound:
            return

    def bulk_create(self, items: list[tuple[str, dict[str, Any]]]) -> list[BulkOutcome]:
        """Create users with one Bulk request; return one outcome per (key, payload)."""
        # Each user is validated once by scim2-models here; the envelope is
        # plain (re-validating 100 users inside BulkRequest doubles the cost).
        operations = []
        for key, payload in items:
            user = ScimUser.model_validate(payload)
            operations.append(
                {
                    "method": "POST",
                    "path": self.capabilities.users_endpoint,
                    "bulkId": key,
                    "data": user.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST),
                }
            )
        request = {"schemas": [BulkRequest.__schema__], "Operations": operations}
        body = _raw(
            self.engine.bulk(request, check_request_payload=False, check_response_payload=False)
            or {}
        )
        outcomes = []
        for op in body.get("Operations") or []:
            status = int(op.get("status") or 0)
            location = op.get("location") or ""
            response = op.get("response") or {}
            error = ""
            if status >= 400:
                error = str(response.get("detail") or f"answered {status}")
            outcomes.append(
                BulkOutcome(
                    key=str(op.get("bulkId") or ""),
                    status=status,
                    remote_id=location.rstrip("/").rpartition("/")[2] if location else None,
                    error=error,
                )
            )
        return outcomes
