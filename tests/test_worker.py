"""A real Celery worker, on Redis and the test PostgreSQL database, runs our tasks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from accounts.models import LifecycleEvent, Person
from accounts.tasks import deactivate_people_task
from portal.celery import app
from tests.factories import PersonFactory

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


def test_worker_deactivates_people_from_the_queue_and_audits(tmp_path):
    broker_url = os.environ["CELERY_BROKER_URL"]
    # A queue of its own, so a worker other test runs start on the same Redis
    # database never takes this message (and this worker never takes theirs).
    queue = f"roster-test-{uuid.uuid4().hex}"
    leaver = PersonFactory(claimed=True, email="leaver@example.com")
    admin = PersonFactory(admin=True, email="admin@example.com")
    with app.connection_for_write(broker_url) as conn:
        conn.default_channel.queue_purge(queue)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "ROSTER_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
            "-Q", queue, "--without-heartbeat", "--without-gossip", "--without-mingle",
            "-l", "info",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        with app.connection_for_write(broker_url) as conn:
            deactivate_people_task.apply_async(
                ([leaver.pk], admin.pk, "Left the company"), queue=queue, connection=conn
            )
        deadline = time.monotonic() + 30
        leaver.refresh_from_db()
        while leaver.status != Person.Status.DEACTIVATED and time.monotonic() < deadline:
            assert worker.poll() is None, log_path.read_text()
            time.sleep(0.2)
            leaver.refresh_from_db()
        assert leaver.status == Person.Status.DEACTIVATED, log_path.read_text()
        assert "Task accounts.deactivate_people[" in log_path.read_text()
        assert leaver.is_active is False
        event = LifecycleEvent.objects.get(person=leaver, action="deactivated")
        assert event.actor == admin
        assert event.actor_kind == "person"
        assert event.reason == "Left the company"
        assert event.changes == {"status": ["active", "deactivated"]}
        worker.terminate()
        assert worker.wait(20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
        with app.connection_for_write(broker_url) as conn:
            channel = conn.default_channel
            channel.queue_delete(queue)
            # The Redis transport keeps the exchange's bindings; drop them too.
            channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
