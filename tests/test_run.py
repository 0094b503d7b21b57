"""``make run`` end to end on the embedded default: SQLite and the filesystem broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.servers import free_port

BASE_DIR = Path(__file__).resolve().parent.parent

ENQUEUE_AND_WAIT = """
import time
from accounts import services
from accounts.actors import CLI
from accounts.models import Person
from accounts.tasks import deactivate_people_task
person = services.create_person(email="leaver@example.com", by=CLI)
deactivate_people_task.apply_async(([person.pk], None, "Left the company"))
for _ in range(100):
    person.refresh_from_db()
    if person.status == "deactivated":
        break
    time.sleep(0.2)
event = person.events.filter(action="deactivated").first()
print("STATUS", person.status, event.reason if event else "-")
"""


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name sits in parentheses and may hold spaces.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_serves_runs_tasks_on_embedded_broker_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(ROSTER_VAR_DIR=str(tmp_path), PORT=str(port), DEMO="", PYTHONUNBUFFERED="1")
    runner = subprocess.Popen(
        [sys.executable, "-m", "portal.run"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert runner.stdout is not None
        for line in runner.stdout:
            lines.append(line)
            if "Roster is running at" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    children: list[int] = []
    try:
        # A fresh SQLite database is migrated first: allow for a busy machine.
        assert ready.wait(180), "".join(lines)
        output = "".join(lines)
        assert f"Roster is running at http://127.0.0.1:{port}/admin/" in output
        assert "Sign in as admin@roster.example with the password " in output
        assert "Press Ctrl-C to stop." in output
        children = _children_of(runner.pid)
        assert len(children) == 3

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200

        shell = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", ENQUEUE_AND_WAIT],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "STATUS deactivated Left the company" in shell.stdout, shell.stdout + shell.stderr

        runner.send_signal(signal.SIGINT)
        assert runner.wait(15) == 0, "".join(lines)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in children if _alive(pid)] == []
        assert "Roster has stopped." in "".join(lines)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_make_run_links_emails_to_the_port_it_serves():
    from portal.run import child_environment

    env = child_environment(18123, {"PATH": "/usr/bin", "ROSTER_BASE_URL": ""})
    assert env == {"PATH": "/usr/bin", "ROSTER_BASE_URL": "http://127.0.0.1:18123"}


def test_make_run_keeps_an_explicit_base_url():
    from portal.run import child_environment

    env = child_environment(18123, {"ROSTER_BASE_URL": "https://roster.acme.test"})
    assert env == {"ROSTER_BASE_URL": "https://roster.acme.test"}
