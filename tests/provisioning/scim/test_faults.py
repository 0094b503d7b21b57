"""Faults between Roster and a real scim2-server, injected by a proxy."""

from __future__ import annotations

import time
import uuid

import pytest
from django.utils import timezone

from accounts import services as people
from accounts.actors import SYSTEM
from provisioning.scim import push, ratelimit, selectors, services
from provisioning.scim.client import Capabilities, Credentials, ScimClient
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.secrets import decrypt
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import remote_users

pytestmark = pytest.mark.django_db
SINGLE = Capabilities(bulk=False).to_dict()
SERVER_FAILED = "The target failed on its side: if this persists, check its status with its owner."


@pytest.fixture
def target(make_target, proxy, scim_server):
    name = f"f{uuid.uuid4().hex[:10]}"
    t = make_target(proxy.url(name), token="s3cret-token")
    ScimTarget.objects.filter(pk=t.pk).update(is_enabled=True, capabilities=SINGLE)
    t.refresh_from_db()
    t.upstream = f"{scim_server}/{name}/v2"
    return t


def run(target: ScimTarget, *, timeout: float = 5.0) -> push.PushOutcome:
    target.refresh_from_db()
    client = ScimClient(
        target.base_url,
        push.credentials_for(target),
        capabilities=Capabilities.from_dict(target.capabilities),
        timeout=timeout,
    )
    with client:
        return push.push_pending(target.pk, client=client)


def time_passes(target: ScimTarget) -> None:
    """Skip the waiting: clear the target's and people's backoff."""
    ScimTarget.objects.filter(pk=target.pk).update(backoff_until=None)
    ScimLink.objects.filter(target=target).update(next_attempt_at=None)


def posts(proxy) -> list[int]:
    return [status for method, path, status in proxy.seen if method == "POST"]


def test_429_with_retry_after_is_honoured_then_delivered(target, proxy):
    PersonFactory.create_batch(3)
    proxy.add(method="POST", status=429, retry_after="7")

    outcome = run(target)

    assert outcome.retry_in == 7.0
    target.refresh_from_db()
    assert target.state == ScimTarget.State.RETRYING
    assert "asked to wait" in target.state_reason
    assert 6 < (target.backoff_until - timezone.now()).total_seconds() <= 7
    assert run(target).counts["created"] == 0  # still waiting: nothing sent
    assert posts(proxy) == [429]

    ScimTarget.objects.filter(pk=target.pk).update(backoff_until=None)
    assert run(target).counts["created"] == 3
    assert len(remote_users(target.upstream)) == 3
    target.refresh_from_db()
    assert (target.state, target.state_reason) == (ScimTarget.State.HEALTHY, "")


def test_a_server_error_backs_off_the_person_and_the_target(target, proxy):
    ada = PersonFactory(email="ada@example.com")
    proxy.add(method="POST", status=500)

    outcome = run(target)

    assert 0 < outcome.retry_in <= 2
    link = ScimLink.objects.get(person=ada)
    assert link.attempts == 1
    assert link.next_attempt_at > timezone.now()
    assert link.last_error == f"POST /Users answered 500: injected 500. {SERVER_FAILED}"
    assert selectors.count_link_states(target)["failed"] == 1
    target.refresh_from_db()
    assert target.state == ScimTarget.State.RETRYING

    time_passes(target)
    run(target)
    link.refresh_from_db()
    assert (link.attempts, link.last_error, link.remote_id is not None) == (0, "", True)
    assert len(remote_users(target.upstream)) == 1


def test_a_create_whose_answer_was_lost_is_adopted_not_doubled(target, proxy):
    ada = PersonFactory(email="ada@example.com")
    proxy.add(method="POST", forward_first=True, reset=True)

    run(target)
    assert len(remote_users(target.upstream)) == 1
    assert ScimLink.objects.get(person=ada).remote_id is None

    time_passes(target)
    run(target)

    users = remote_users(target.upstream)
    assert len(users) == 1
    assert ScimLink.objects.get(person=ada).remote_id == users[0]["id"]
    # lookup, create (answer lost), lookup again: adopted, never re-POSTed
    assert [m for m, _, _ in proxy.seen] == ["GET", "POST", "GET"]


def test_a_slow_answer_times_out_and_the_retry_does_not_double(target, proxy):
    ada = PersonFactory(email="ada@example.com")
    proxy.add(method="POST", delay=1.0)

    run(target, timeout=0.3)
    assert "timed out" in ScimLink.objects.get(person=ada).last_error
    time.sleep(1.0)  # the slow create completes upstream

    time_passes(target)
    run(target)

    assert len(remote_users(target.upstream)) == 1
    assert ScimLink.objects.get(person=ada).remote_id is not None


def test_a_connection_reset_is_retried(target, proxy):
    PersonFactory(email="ada@example.com")
    proxy.add(method="GET", reset=True)  # the lookup before create
    ScimLink.objects.all().delete()

    outcome = run(target)
    assert outcome.retry_in is not None
    time_passes(target)
    run(target)

    assert [u["userName"] for u in remote_users(target.upstream)] == ["ada@example.com"]


def test_a_client_error_is_permanent_for_that_person_until_they_change(target, proxy):
    PersonFactory.create_batch(2)
    proxy.add(method="POST", status=400)

    run(target)

    failed = ScimLink.objects.get(failed_version__isnull=False)
    assert failed.failed_version == failed.person.version
    assert failed.last_error == "POST /Users answered 400: injected 400"
    assert ScimLink.objects.exclude(pk=failed.pk).get().remote_id is not None
    proxy.seen.clear()
    run(target)
    assert proxy.seen == []  # not retried forever
    assert selectors.count_link_states(target) == {"in_sync": 1, "pending": 0, "failed": 1}

    people.update_person(failed.person, by=SYSTEM, job_title="Changed")
    run(target)
    assert len(remote_users(target.upstream)) == 2


def test_many_consecutive_failures_pause_the_target_until_resumed(target, proxy, actor):
    PersonFactory(email="ada@example.com")
    ScimTarget.objects.filter(pk=target.pk).update(pause_after_failures=3)
    proxy.add(method="POST", status=503, times=3)

    for _ in range(3):
        run(target)
        time_passes(target)

    target.refresh_from_db()
    assert target.state == ScimTarget.State.PAUSED
    assert target.state_reason == (
        "Paused after 3 consecutive failures. Last: POST /Users answered 503: injected 503. "
        f"{SERVER_FAILED}"
    )
    proxy.seen.clear()
    run(target)
    assert proxy.seen == []

    services.resume_target(target, by=actor)
    run(target)
    assert len(remote_users(target.upstream)) == 1


def test_the_bearer_token_is_sent_and_stored_encrypted(target, proxy):
    PersonFactory()
    run(target)

    assert set(proxy.authorizations) == {"Bearer s3cret-token"}
    assert "s3cret" not in target.token_encrypted
    assert decrypt(target.token_encrypted) == "s3cret-token"
    assert "s3cret" not in repr(push.credentials_for(target))


def test_the_rate_limit_is_shared_through_the_cache():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    key = f"test:{uuid.uuid4().hex}"
    for _ in range(10):
        ratelimit.acquire(key, 5, clock=lambda: now[0], sleep=sleep)

    # 5 per second, in 200 ms windows of one request each: 10 requests take ~2 s.
    assert 1.5 <= now[0] - 100.0 <= 2.1
    assert len(slept) == 9


def test_oauth_client_credentials_fetch_and_reuse_a_token(proxy):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls: list[str] = []

    class Token(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            calls.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            body = json.dumps({"access_token": "tok-1", "expires_in": 3600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        creds = Credentials(
            token_url=f"http://127.0.0.1:{server.server_address[1]}/token",
            client_id=f"roster-{uuid.uuid4().hex[:6]}",
            client_secret="x",
            scope="scim",
        )
        with ScimClient(proxy.url(f"o{uuid.uuid4().hex[:8]}"), creds) as client:
            client.discover()
            assert client.find_user("nobody@example.com") is None
    finally:
        server.shutdown()
        server.server_close()

    assert len(calls) == 1
    assert "grant_type=client_credentials" in calls[0]
    assert set(proxy.authorizations) == {"Bearer tok-1"}
