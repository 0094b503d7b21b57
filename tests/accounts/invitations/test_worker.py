"""Invitation emails through real Celery workers, Redis and an SMTP server.

Two worker processes share one queue holding duplicate send tasks and
overlapping dispatcher runs; each person must receive exactly one email.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import kombu.pools
import pytest
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.invitations import invite_person
from accounts.invitations.tasks import send_due_invitations_task, send_invitation_task
from accounts.models import InvitationDelivery
from portal.celery import app
from tests import servers
from tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[3]
# A Redis database and a queue of this test's own, so workers other tests
# start never take its messages, nor its workers theirs.
BROKER = "redis://127.0.0.1:6379/14"


@pytest.fixture
def smtp_sink():
    with servers.mail_server() as served:
        yield served


def _worker_database_url() -> str:
    """The URL of the test database, which the workers must use."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


@contextmanager
def own_queue(queue: str) -> Iterator[None]:
    """Send this process's tasks, the services' included, to ``queue`` on BROKER."""
    # broker_write_url: the Django-namespaced broker_url cannot be overridden
    # once read, and publishing uses the write URL first.
    saved = (app.conf.broker_write_url, app.conf.task_default_queue)
    app.conf.broker_write_url = BROKER
    app.conf.task_default_queue = queue
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        with app.connection_for_write(BROKER) as conn:
            channel = conn.default_channel
            channel.queue_delete(queue)
            channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        if app._pool is not None:
            app._pool.force_close_all()
        # kombu keeps connection and producer pools per URL in a global
        # registry, and BROKER may be the URL the rest of the suite uses: drop
        # the closed pools and let the app make fresh ones when next asked.
        kombu.pools.reset()
        app.conf.broker_write_url, app.conf.task_default_queue = saved
        app._pool = None
        app.amqp._producer_pool = None


@pytest.fixture
def start_workers(tmp_path):
    processes: list[subprocess.Popen] = []

    def start(count: int, smtp_port: int, queue: str) -> list[Path]:
        env = {
            **os.environ,
            "DATABASE_URL": _worker_database_url(),
            "CELERY_BROKER_URL": BROKER,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "ROSTER_VAR_DIR": str(tmp_path),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "ROSTER_BASE_URL": "https://roster.example.test",
        }
        paths = []
        for n in range(count):
            paths.append(tmp_path / f"worker{n}.log")
            log = paths[-1].open("w")
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "portal",
                        "worker",
                        "--pool=solo",
                        "-Q",
                        queue,
                        f"--hostname=invite{n}-{queue}@%h",
                        "--without-mingle",
                        "--without-gossip",
                        "--loglevel=INFO",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        return paths

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(condition, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the workers")


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_invitation_exactly_once(smtp_sink, start_workers):
    sink, port = smtp_sink
    queue = f"roster-invite-{uuid.uuid4().hex[:10]}"
    with own_queue(queue):
        _run_two_workers(sink, port, queue, start_workers)


def _run_two_workers(sink: servers.MailSink, port: int, queue: str, start_workers) -> None:
    admin = PersonFactory(admin=True, email="admin@example.com")
    now_person = PersonFactory(email="now@example.com")
    scheduled_person = PersonFactory(email="scheduled@example.com")
    leaver = PersonFactory(email="leaver@example.com")
    logs = start_workers(2, port, queue)
    _wait_for(lambda: all(" ready." in log.read_text() for log in logs))

    soon = timezone.now() + timedelta(seconds=2)
    invite_person(scheduled_person, by=admin, send_at=soon)
    # Deactivated before the send time: must get nothing.
    invite_person(leaver, by=admin, send_at=soon)
    services.deactivate_person(leaver, by=admin)
    invite_person(now_person, by=admin)
    first = InvitationDelivery.objects.get(invitation__person=now_person)
    # A retried task and redelivered messages: the same send, many times over,
    # shared between both workers.
    for _ in range(6):
        send_invitation_task.delay(first.pk)
    time.sleep(2.1)
    # Overlapping dispatcher runs: two beat ticks on the workers, one here.
    send_due_invitations_task.delay()
    send_due_invitations_task.delay()
    send_due_invitations_task()

    def settled() -> bool:
        states = dict(InvitationDelivery.objects.values_list("invitation__person__email", "status"))
        return states == {"now@example.com": "sent", "scheduled@example.com": "sent"}

    _wait_for(settled)
    # Let any duplicate still in flight arrive before counting.
    time.sleep(2)
    assert sink.recipients() == ["now@example.com", "scheduled@example.com"]
    for _, content in sink.received():
        message = message_from_bytes(content)
        assert message["Subject"] == f"{admin.display_name} invited you to Roster"
        assert "https://roster.example.test/invitation/" in message.as_string()
    assert InvitationDelivery.objects.count() == 2
