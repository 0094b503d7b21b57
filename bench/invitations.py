"""Time sending invitations through the dispatcher, real workers and an SMTP server.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://127.0.0.1:6379/14 \\
        python bench/invitations.py [--people 10000] [--workers 2] [--claims 50]

Seeds N people awaiting invitation, invites them all for one send time,
starts worker processes (``celery -A portal worker --pool=solo``) that mail
an in-process aiosmtpd server, runs the real dispatcher task when the time
comes, and measures from the send time to the last message received. Then
claims some accounts through the real claim page and times those requests.
Prints one JSON line. Re-running replaces the previous run's people.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.actors import SYSTEM  # noqa: E402
from accounts.invitation_tasks import send_due_invitations_task  # noqa: E402
from accounts.invitations import invite_people  # noqa: E402
from accounts.models import Invitation, InvitationDelivery, Person  # noqa: E402
from portal.celery import app  # noqa: E402

DOMAIN = "invite-bench.example"
TOKEN_RE = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})/")


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[float, str, bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((time.time(), rcpt, envelope.content))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def start_workers(count: int, smtp_port: int, queue: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
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
                f"--hostname=invite-bench{n}@%h",
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


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def claim_some(sink: Sink, count: int) -> list[float]:
    client = Client(HTTP_HOST="localhost")
    timings = []
    with sink.lock:
        messages = list(sink.received[:count])
    for n, (_, _, content) in enumerate(messages):
        text = message_from_bytes(content).as_string()
        token = TOKEN_RE.search(text).group(1)
        url = f"/invitation/{token}/"
        form = {
            "first_name": "Bench",
            "last_name": "Person",
            "password1": "a sturdy bench passphrase",
            "password2": "a sturdy bench passphrase",
        }
        # A distinct address per claim keeps the per-address limit out of the way.
        ip = f"10.9.{n // 250}.{n % 250 + 1}"
        started = time.perf_counter()
        response = client.post(url, form, REMOTE_ADDR=ip)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 302:
            raise SystemExit(f"claim failed with HTTP {response.status_code}")
        client.logout()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--claims", type=int, default=50)
    parser.add_argument("--lead", type=float, default=30.0, help="Seconds until the send time.")
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith(("redis", "amqp")):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis or RabbitMQ broker.")

    # aiosmtpd logs every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    # A queue of its own: no other worker on this broker takes these tasks.
    queue = f"roster-invite-bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    seed(args.people)
    workers = start_workers(args.workers, controller.port, queue)
    try:
        wait_for(lambda: len(app.control.ping(timeout=0.5)) >= args.workers, 60)
        started = time.perf_counter()
        send_at = timezone.now() + timedelta(seconds=args.lead)
        invite_people(
            Person.objects.filter(email__endswith=f"@{DOMAIN}"), by=SYSTEM, send_at=send_at
        )
        invite_s = time.perf_counter() - started
        delay = (send_at - timezone.now()).total_seconds()
        if delay < 0:
            raise SystemExit("Inviting took longer than --lead; raise it.")
        time.sleep(delay)
        due = time.time()
        # Two overlapping beat ticks, as when a tick overruns the minute.
        send_due_invitations_task.delay()
        send_due_invitations_task.delay()
        done = wait_for(lambda: sink.count() >= args.people, timeout=max(600, args.people / 5))
        # Anything still in flight would be a duplicate.
        time.sleep(2)
        with sink.lock:
            last = max((t for t, _, _ in sink.received), default=due)
            per_person = Counter(rcpt for _, rcpt, _ in sink.received)
        send_s = last - due
        statuses = Counter(
            InvitationDelivery.objects.filter(
                invitation__person__email__endswith=f"@{DOMAIN}"
            ).values_list("status", flat=True)
        )
        timings = claim_some(sink, min(args.claims, sink.count()))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        controller.stop()
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            channel.queue_delete(queue)
            # The Redis transport keeps the exchange's bindings; drop them too.
            if hasattr(channel, "client"):
                channel.client.delete(
                    f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
                )
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else None
    print(
        json.dumps(
            {
                "bench": "invitations",
                "people": args.people,
                "workers": args.workers,
                "complete": done,
                "invite_s": round(invite_s, 3),
                "send_s": round(send_s, 3),
                "rate_per_s": round(len(per_person) / send_s, 1) if send_s > 0 else None,
                "delivered": len(per_person),
                "duplicates": sum(n - 1 for n in per_person.values()),
                "delivery_statuses": dict(statuses),
                "claims": len(timings),
                "p95_claim_ms": round(p95, 1) if p95 is not None else None,
                "invitations_claimed": Invitation.objects.filter(
                    person__email__endswith=f"@{DOMAIN}", status="claimed"
                ).count(),
            }
        )
    )


if __name__ == "__main__":
    main()
