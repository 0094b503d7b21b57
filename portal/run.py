"""``make run``: migrate, make sure an administrator exists, then run everything.

Starts the web server, a Celery worker and Celery beat as child processes of
this one and stops them all on Ctrl-C (or SIGTERM). The children share one
process group and get SIGTERM from the kernel if this process dies, so no
process is left behind. If any child stops by itself, the others are stopped
and this exits non-zero.

Environment: ``PORT`` (default 8000); ``DEMO=1`` also loads a demo
organisation the first time. Claim links in emails point at the port served
(``http://127.0.0.1:PORT``) unless ``ROSTER_BASE_URL`` is set.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 10.0
READY_TIMEOUT = 60.0


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGTERM
    # when the runner dies, even if it is killed with SIGKILL.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def child_environment(port: int, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for the web server and workers serving ``port``.

    Emails written by the worker link to ``ROSTER_BASE_URL``; without an
    explicit one, that is the address this runner serves.
    """
    env = dict(os.environ if environ is None else environ)
    if not (env.get("ROSTER_BASE_URL") or "").strip():
        env["ROSTER_BASE_URL"] = f"http://127.0.0.1:{port}"
    return env


class Runner:
    """Start, watch and stop the child processes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.env = child_environment(port)
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "web server": [
                python,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            "Celery worker": [
                python, "-m", "celery", "-A", "portal", "--quiet",
                "worker", "--pool=solo", "-l", "info",
            ],
            "Celery beat": [
                python, "-m", "celery", "-A", "portal", "--quiet", "beat", "-l", "warning",
            ],
        }  # fmt: skip

    def start(self) -> None:
        group = 0
        for name, command in self.commands().items():
            child = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
                # One group for all children, apart from the runner's, so a
                # terminal's Ctrl-C reaches only the runner, which then stops
                # them in order.
                process_group=group,
            )
            if not group:
                group = child.pid
            self.children[name] = child

    def dead_child(self) -> tuple[str, int] | None:
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        self.stopping = True
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        killed = []
        for name, child in self.children.items():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                killed.append(name)
        if killed:
            print(f"Killed after {STOP_TIMEOUT:.0f} s: {', '.join(killed)}.", flush=True)

    def wait_until_serving(self, is_dead: Callable[[], tuple[str, int] | None]) -> bool:
        """Wait until the web server answers /healthz; False if it never did."""
        url = f"http://127.0.0.1:{self.port}/healthz"
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and not self.stopping:
            if is_dead():
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        return False


def prepare(demo: bool) -> dict[str, object]:
    """Migrate, ensure an administrator, load demo data if asked; return the login."""
    from django.core.management import call_command

    print("Preparing the database…", flush=True)
    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    out = io.StringIO()
    call_command("ensure_admin", json=True, stdout=out, skip_checks=True)
    login = json.loads(out.getvalue())
    if demo:
        out = io.StringIO()
        call_command("seed_demo", people=200, json=True, stdout=out, skip_checks=True)
        seeded = json.loads(out.getvalue())
        if seeded["created"]:
            print(f"Loaded {seeded['created']} demo people under @{seeded['domain']}.")
        else:
            print(f"Demo people under @{seeded['domain']} are already there.")
    return login


def banner(port: int, login: dict[str, object], *, mail_dir: str | None = None) -> str:
    """Return what ``make run`` prints once serving; ``mail_dir`` where mail is written."""
    lines = [
        "",
        "=" * 64,
        f"Roster is running at http://127.0.0.1:{port}/admin/",
    ]
    if login["created"]:
        lines += [
            f"Sign in as {login['email']} with the password {login['password']}",
            "(the password is shown only this once).",
        ]
    else:
        lines += [
            f"Sign in as {login['email']}. To set a new password, run:",
            f"  .venv/bin/python manage.py changepassword {login['email']}",
        ]
    if mail_dir:
        lines.append(f"Email is written to files in {mail_dir}/ (Sent mail in the admin).")
    lines += ["Press Ctrl-C to stop.", "=" * 64, ""]
    return "\n".join(lines)


def _mail_dir() -> str | None:
    from django.conf import settings

    return settings.EMAIL_FILE_PATH if settings.ROSTER_MAIL_TO_FILES else None


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.chdir(BASE_DIR)
    import django

    django.setup()
    port = int(os.environ.get("PORT") or 8000)
    try:
        login = prepare(_truthy(os.environ.get("DEMO")))
    except KeyboardInterrupt:
        print("Stopped before starting.", flush=True)
        return 0
    # Close the runner's own connection: only the children use the database.
    from django.db import connections

    connections.close_all()

    runner = Runner(port)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        runner.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runner.start()
    runner.wait_until_serving(runner.dead_child)
    if not runner.stopping and not runner.dead_child():
        print(banner(port, login, mail_dir=_mail_dir()), flush=True)
    while not runner.stopping:
        dead = runner.dead_child()
        if dead:
            name, code = dead
            print(
                f"The {name} stopped unexpectedly (exit code {code}); stopping Roster.",
                file=sys.stderr,
                flush=True,
            )
            runner.stop()
            return 1
        time.sleep(0.3)
    print("Stopping Roster…", flush=True)
    runner.stop()
    print("Roster has stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
