"""Real Celery workers on Redis and the test PostgreSQL database, pushing to a
real scim2-server: a worker killed mid-sync and a broker outage lose nothing
and double nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts import services as people
from accounts.actors import CLI
from accounts.models import Person
from portal.celery import app
from provisioning.scim import push, services
from provisioning.scim.client import Capabilities
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.tasks import sweep_task, sync_target_task
from tests.provisioning.scim.conftest import remote_users

BASE_DIR = Path(__file__).resolve().parents[3]
BROKER = "redis://127.0.0.1:6379/13"
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


class Workers:
    """Start and kill `celery worker --pool=solo` processes on a queue of their own."""

    def __init__(self, tmp_path: Path) -> None:
        self.queue = f"roster-scim-{uuid.uuid4().hex[:10]}"
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.queues: list[str] = []

    def start(self, queue: str | None = None) -> subprocess.Popen:
        """Start a worker consuming (and sending its own tasks to) ``queue``."""
        queue = queue or self.queue
        self.queues.append(queue)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": BROKER,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "ROSTER_VAR_DIR": str(self.tmp_path),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SCIM_LEASE_SECONDS": "3",
            "SCIM_PUSH_FANOUT": "1",
        }
        log = (self.tmp_path / f"worker{len(self.procs)}.log").open("w")
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
                "-Q", queue, "--without-heartbeat", "--without-gossip",
                "--without-mingle", "-l", "warning",
            ],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def send(self, task, *args, queue: str | None = None) -> None:
        with app.connection_for_write(BROKER) as conn:
            task.apply_async(args, queue=queue or self.queue, connection=conn)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        with app.connection_for_write(BROKER) as conn:
            for queue in set(self.queues):
                conn.default_channel.queue_purge(queue)


@pytest.fixture
def workers(tmp_path):
    w = Workers(tmp_path)
    yield w
    w.stop()


def count_remote(url: str) -> int:
    return httpx.get(f"{url}/Users", params={"count": 0}, timeout=30).json()["totalResults"]


def make_people(n: int) -> None:
    password = make_password(None)
    Person.objects.bulk_create(
        [
            Person(
                email=f"p{i:05d}@example.com",
                first_name=f"First{i}",
                last_name=f"Last{i}",
                full_name=f"First{i} Last{i}",
                department="Engineering",
                password=password,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def enabled_target(url: str) -> ScimTarget:
    target = services.create_target(name="App", base_url=url, by=CLI, rate_limit=10_000)
    caps = Capabilities(
        bulk=True,
        bulk_max_operations=1000,
        bulk_max_payload_size=1_048_576,
        sort=True,
        filter=True,
        patch=True,
    )
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True, capabilities=caps.to_dict())
    target.refresh_from_db()
    return target


def test_a_worker_killed_mid_sync_leaves_exactly_one_remote_user_each(workers, tenant):
    """SIGKILL the worker running a 2,000-person initial sync; a new worker,
    fed only by the periodic sweep, finishes it without a duplicate."""
    n = 2000
    make_people(n)
    target = enabled_target(tenant)
    run = ScimRun.objects.create(target=target, kind=ScimRun.Kind.SYNC)
    first = workers.start()
    # The replacement boots meanwhile (a worker takes seconds to start) on a
    # queue of its own, so it never touches the sync before the kill.
    spare = f"{workers.queue}-spare"
    second = workers.start(spare)
    workers.send(sync_target_task, target.pk, run.pk)
    deadline = time.monotonic() + 60
    while count_remote(tenant) < 300:
        assert first.poll() is None, workers.logs()
        assert time.monotonic() < deadline, workers.logs()
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert count_remote(tenant) < n, "the sync finished before the kill; nothing was proven"

    deadline = time.monotonic() + 120
    while (
        push.pending_links(target).exists()
        or ScimLink.objects.filter(target=target, remote_id__isnull=True).exists()
    ):
        assert second.poll() is None, workers.logs()
        assert time.monotonic() < deadline, workers.logs()
        workers.send(sweep_task, queue=spare)  # what beat does every minute
        time.sleep(1)

    users = remote_users(tenant)
    names = [u["userName"] for u in users]
    assert len(users) == n
    assert len(set(names)) == n
    links = ScimLink.objects.filter(target=target)
    assert links.count() == n
    assert set(links.values_list("remote_id", flat=True)) == {u["id"] for u in users}


@contextmanager
def dead_broker():
    """Point this process's Celery app at a port nobody listens on."""
    saved = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def test_changes_made_while_the_broker_is_down_arrive_after_it_returns(workers, tenant):
    make_people(20)
    target = enabled_target(tenant)
    run = ScimRun.objects.create(target=target, kind=ScimRun.Kind.SYNC)
    push.sync_target(target.pk, run_id=run.pk)
    push.push_pending(target.pk, run_id=run.pk)
    assert count_remote(tenant) == 20
    workers.start()

    changed = list(Person.objects.order_by("email")[:5])
    started = time.monotonic()
    with dead_broker():
        for i, person in enumerate(changed):
            people.update_person(person, by=CLI, job_title=f"Title {i}")
        people.deactivate_person(changed[0], by=CLI)
    assert time.monotonic() - started < 10  # enqueue failures are fast and swallowed
    time.sleep(1)
    titles = {u["userName"]: u.get("title") for u in remote_users(tenant)}
    assert all(titles[p.email] is None for p in changed)  # nothing got through

    workers.send(sweep_task)  # the broker is back: beat's next sweep

    deadline = time.monotonic() + 30
    while True:
        users = {u["userName"]: u for u in remote_users(tenant)}
        if all(users[p.email].get("title") == f"Title {i}" for i, p in enumerate(changed)) and (
            users[changed[0].email]["active"] is False
        ):
            break
        assert time.monotonic() < deadline, workers.logs()
        time.sleep(0.3)
    assert len(users) == 20
