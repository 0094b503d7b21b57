"""Time sending invitation emails through real workers to a local SMTP server.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/invitations.py [--count 10000] [--workers N]

Creates N people and invites them all for one send time, starts real worker
processes (``celery -A portal worker --pool=solo``, two per core by default
since sending mostly waits on the mail server, against the configured
database and broker) that mail an aiosmtpd server on loopback, runs the
dispatcher when the send time comes (as beat does, twice: an overrunning
tick), and measures from the send time until the server accepted the last
message. In the same run, a plain smtplib loop in its own process sends N
messages of the same size and shape over one reused connection to the same
server: the floor the send path is compared with.

Prints one JSON line: rate_per_s (messages accepted per second through the
product), floor_rate_per_s, their ratio, duplicates (messages beyond the
first for a person) and lost (people who got nothing). Re-running replaces
the previous run's people.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.actors import SYSTEM  # noqa: E402
from accounts.invitations import invite_people  # noqa: E402
from accounts.invitations.emails import build_message  # noqa: E402
from accounts.invitations.tasks import send_due_invitations_task  # noqa: E402
from accounts.models import Person  # noqa: E402
from accounts.tokens import new_token  # noqa: E402
from portal.celery import app  # noqa: E402

DOMAIN = "invite-bench.example"
FLOOR_DOMAIN = "invite-floor.example"


class Sink:
    """Keeps the time each message was accepted and its recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.time()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((now, rcpt))
                self.counts[rcpt.rpartition("@")[2]] += 1
        return "250 Message accepted"

    def count(self, domain: str) -> int:
        with self.lock:
            return self.counts[domain]

    def of(self, domain: str) -> list[tuple[float, str]]:
        with self.lock:
            return [(t, rcpt) for t, rcpt in self.received if rcpt.endswith(f"@{domain}")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def seed(count: int) -> None:
    Person.objects.filter(email__endswith=f"@{DOMAIN}").delete()
    Person.objects.bulk_create(
        [
            Person(
                email=f"person{i}@{DOMAIN}",
                first_name=f"First{i}",
                last_name="Bench",
                full_name=f"First{i} Bench",
                password="!",
            )
            for i in range(count)
        ],
        batch_size=5000,
    )


def sample_message() -> tuple[bytes, str]:
    """Return the bytes of one real invitation email and the address in them."""
    address = f"person0@{FLOOR_DOMAIN}"
    person = Person(email=address, first_name="First0", last_name="Bench")
    email = build_message(
        template="invitation",
        person=person,
        token=new_token(),
        inviter=SYSTEM.label,
        message="",
        expires_at=timezone.now() + timedelta(days=14),
    )
    return email.message().as_bytes(linesep="\r\n"), address


def floor_sender(port: int, count: int, sample: bytes, address: str) -> None:
    """Send ``count`` copies of ``sample`` (one per address) over one connection."""
    placeholder = address.encode()
    sender = settings.DEFAULT_FROM_EMAIL
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            rcpt = f"person{i}@{FLOOR_DOMAIN}"
            smtp.sendmail(sender, [rcpt], sample.replace(placeholder, rcpt.encode()))


def measure_floor(sink: Sink, port: int, count: int) -> float:
    sample, address = sample_message()
    # A process of its own, like the workers: the server's thread does not
    # share an interpreter lock with the sender.
    process = multiprocessing.get_context("fork").Process(
        target=floor_sender, args=(port, count, sample, address)
    )
    started = time.time()
    process.start()
    process.join()
    if process.exitcode != 0 or sink.count(FLOOR_DOMAIN) != count:
        raise SystemExit("The floor's smtplib loop failed.")
    return count / (max(t for t, _ in sink.of(FLOOR_DOMAIN)) - started)


def start_workers(count: int, smtp_port: int, queue: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    return [
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
                f"--hostname=invite-bench{n}-{queue}@%h",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def stop(workers: list[subprocess.Popen], queue: str) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_delete(queue)
        # The Redis transport keeps the exchange's bindings; drop them too.
        if hasattr(channel, "client"):
            channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    # Sending mostly waits on the mail server: two processes per core.
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--lead", type=float, default=30.0, help="Seconds until the send time.")
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith(("redis", "amqp")):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis or RabbitMQ broker.")

    # aiosmtpd logs every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        floor_rate = measure_floor(sink, controller.port, args.count)
        # A queue of its own: no other worker on this broker takes these tasks.
        queue = f"roster-invite-bench-{uuid.uuid4().hex[:8]}"
        app.conf.task_default_queue = queue
        seed(args.count)
        workers = start_workers(args.workers, controller.port, queue)
        try:
            if not wait_for(lambda: len(app.control.ping(timeout=0.5)) >= args.workers, 60):
                raise SystemExit("The workers did not start.")
            send_at = timezone.now() + timedelta(seconds=args.lead)
            invite_people(
                Person.objects.filter(email__endswith=f"@{DOMAIN}"), by=SYSTEM, send_at=send_at
            )
            delay = (send_at - timezone.now()).total_seconds()
            if delay < 0:
                raise SystemExit("Inviting took longer than --lead; raise it.")
            time.sleep(delay)
            due = time.time()
            # Two overlapping beat ticks, as when a tick overruns the minute.
            send_due_invitations_task.delay()
            send_due_invitations_task.delay()
            wait_for(lambda: sink.count(DOMAIN) >= args.count, max(600, args.count / 5))
            # Anything still in flight would be a duplicate.
            time.sleep(3)
        finally:
            stop(workers, queue)
    finally:
        controller.stop()
    received = sink.of(DOMAIN)
    per_person = Counter(rcpt for _, rcpt in received)
    elapsed = max((t for t, _ in received), default=due) - due
    rate = len(per_person) / elapsed if elapsed > 0 else 0.0
    print(
        json.dumps(
            {
                "bench": "invitations",
                "count": args.count,
                "rate_per_s": round(rate, 1),
                "floor_rate_per_s": round(floor_rate, 1),
                "ratio": round(rate / floor_rate, 3),
                "duplicates": sum(n - 1 for n in per_person.values()),
                "lost": args.count - len(per_person),
            }
        )
    )


if __name__ == "__main__":
    main()
