"""SCIM target failures say what to fix: local servers refuse, stall, fail TLS or answer errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from provisioning.scim.client import Credentials, ScimClient, ScimError
from tests.provisioning.idp.fake_http import FakeServer, self_signed_cert

RAW = ("Errno", "ConnectError", "ConnectTimeout", "ReadTimeout", "SSL:", "CERTIFICATE_VERIFY")


class Status(BaseHTTPRequestHandler):
    status = 200

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"detail": "go away"}'
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/scim+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def answering() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Status)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def failure(url: str, **kwargs) -> str:
    with (
        ScimClient(url, Credentials(bearer_token="t"), **kwargs) as client,
        pytest.raises(ScimError) as caught,
    ):
        client.discover()
    message = caught.value.message
    for raw in RAW:
        assert raw not in message
    return message


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (401, "The target did not accept Roster's credentials: enter its current token"),
        (403, "The credentials may not manage users on the target: give them that right."),
        (404, "Check the base URL: it must be the target's SCIM root (often …/scim/v2)."),
        (500, "The target failed on its side: if this persists, check its status with its owner."),
        (503, "The target failed on its side: if this persists, check its status with its owner."),
    ],
)
def test_error_answers_say_what_to_fix(answering, status, advice):
    answering.status = status  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{answering.server_address[1]}/scim/v2"
    message = failure(url)
    assert message.startswith(f"GET /ServiceProviderConfig answered {status}: go away. ")
    assert advice in message


def test_a_refused_connection_says_to_check_address_and_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert failure(f"http://127.0.0.1:{port}/v2") == (
        "GET /ServiceProviderConfig failed. The target refused the connection: check the "
        "address and port, and that the server is running."
    )


def test_a_server_that_never_answers_times_out_with_advice():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        message = failure(f"http://127.0.0.1:{port}/v2", timeout=0.5)
    assert message == (
        "GET /ServiceProviderConfig timed out. The target did not answer in time: check "
        "that the address is right and the server is up, then try again."
    )


def test_an_untrusted_certificate_says_so(tmp_path):
    server = FakeServer(cert=self_signed_cert(tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        message = failure(f"{server.base_url}/v2")
    finally:
        server.shutdown()
        server.server_close()
    assert "presented a TLS certificate Roster does not trust" in message


def test_https_to_a_plain_http_server_says_tls_failed(answering):
    message = failure(f"https://127.0.0.1:{answering.server_address[1]}/v2")
    assert message == (
        "GET /ServiceProviderConfig failed. A secure (TLS) connection to the target could "
        "not be set up: check that the address starts with https:// only if the server "
        "speaks TLS, and its port."
    )
