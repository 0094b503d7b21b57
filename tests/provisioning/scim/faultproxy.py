"""A small fault-injecting HTTP proxy for tests: forwards to a SCIM server,
except for the requests a queued fault matches (429 with Retry-After, 5xx,
409, slow answers, connection resets), and a cap on group members per request
that refuses larger ones the way some targets do (413, or a 400 saying so)."""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Fault:
    """What to do to the next ``times`` requests matching ``method`` and ``path``."""

    method: str | None = None
    path: str | None = None  # substring
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    reset: bool = False
    forward_first: bool = False  # forward, then misbehave (a lost answer)
    times: int = 1


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, int]] = []
        self.authorizations: list[str | None] = []
        # Group members per POST/PATCH beyond which the proxy refuses the request.
        self.member_limit: int | None = None
        self.member_limit_status = 413
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.authorizations.append(self.headers.get("Authorization"))
                if proxy._too_many_members(self.command, self.path, body):
                    payload = json.dumps(
                        {
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                            "status": str(proxy.member_limit_status),
                            "detail": f"Too many members: at most {proxy.member_limit}.",
                        }
                    ).encode()
                    headers = [("Content-Type", "application/scim+json")]
                    return self._reply(proxy.member_limit_status, headers, payload)
                fault = proxy._take(self.command, self.path)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and (fault.forward_first or not (fault.status or fault.reset)):
                    status, headers, data = proxy._forward(
                        self.command, self.path, self.headers, body
                    )
                    if not (fault.status or fault.reset):
                        return self._reply(status, headers, data)
                if fault and fault.reset:
                    proxy._record(self.command, self.path, 0)
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return None
                if fault and fault.status:
                    payload = json.dumps(
                        {
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                            "status": str(fault.status),
                            "detail": f"injected {fault.status}",
                            **({"scimType": "uniqueness"} if fault.status == 409 else {}),
                        }
                    ).encode()
                    headers = [("Content-Type", "application/scim+json")]
                    if fault.retry_after is not None:
                        headers.append(("Retry-After", fault.retry_after))
                    proxy._record(self.command, self.path, fault.status)
                    return self._reply(fault.status, headers, payload, record=False)
                status, headers, data = proxy._forward(self.command, self.path, self.headers, body)
                return self._reply(status, headers, data)

            def _reply(self, status, headers, data, record=True):
                if record:
                    proxy._record(self.command, self.path, status)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.times > 0
                    and (fault.method in (None, method))
                    and (fault.path is None or fault.path in path)
                ):
                    fault.times -= 1
                    return fault
        return None

    def _too_many_members(self, method: str, path: str, body: bytes) -> bool:
        if self.member_limit is None or "/Groups" not in path or method not in ("POST", "PATCH"):
            return False
        data = json.loads(body or b"{}")
        count = len(data.get("members") or [])
        for op in data.get("Operations") or []:
            value = op.get("value")
            count += len(value) if isinstance(value, list) else 1
        return count > self.member_limit

    def _record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.seen.append((method, path, status))

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            conn.request(method, path, body=body or None, headers=sent)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def add(self, **kwargs: object) -> Fault:
        fault = Fault(**kwargs)  # type: ignore[arg-type]
        with self.lock:
            self.faults.append(fault)
        return fault

    def url(self, tenant: str) -> str:
        return f"http://127.0.0.1:{self.port}/{tenant}/v2"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
