"""Test connection against a peer that answers, but not in SCIM."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from provisioning.scim import services
from provisioning.scim.models import ScimTarget

pytestmark = pytest.mark.django_db

REPLIES = {
    "html": ("text/html", b"<html><body>Welcome to the portal</body></html>"),
    "not_scim": ("application/json", b'{"patch": "maybe", "bulk": [1, 2]}'),
    "a_list": ("application/json", b"[1, 2, 3]"),
}


class OddPeer(ThreadingHTTPServer):
    daemon_threads = True
    reply: tuple[str, bytes] = REPLIES["html"]


class Handler(BaseHTTPRequestHandler):
    server: OddPeer

    def do_GET(self) -> None:
        content_type, body = self.server.reply
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def odd_peer() -> Iterator[OddPeer]:
    server = OddPeer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("kind", list(REPLIES))
def test_test_connection_says_the_reply_is_not_scim(admin_client, admin_user, odd_peer, kind):
    odd_peer.reply = REPLIES[kind]
    url = f"http://127.0.0.1:{odd_peer.server_address[1]}/scim/v2"
    target = services.create_target(name="Odd", base_url=url, token="t0ken", by=admin_user)
    test_url = reverse("admin:provisioning_scimtarget_change", args=[target.pk]).removesuffix(
        "change/"
    )

    response = admin_client.post(test_url + "test/", {"confirm": "yes"}, follow=True)

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        f"Odd: GET /ServiceProviderConfig did not answer with a SCIM ServiceProviderConfig "
        f"({REPLIES[kind][0]}): is {url} the SCIM base URL?"
    ]
    target.refresh_from_db()
    assert target.capabilities == {}
    assert ScimTarget.objects.get().capabilities_checked_at is None
