"""Time Roster's SCIM push against a real scim2-server on loopback.

    .venv/bin/python bench/scim_push.py [--people 10000] [--workers 2]

Needs PostgreSQL (BENCH_DATABASE_ADMIN_URL, default
postgres://postgres@127.0.0.1:5432/postgres; the database roster_bench_scim is
dropped and created) and Redis (BENCH_BROKER_URL, default
redis://127.0.0.1:6379/14). Measures, with real `celery worker --pool=solo`
processes:

(a) the initial push of N people (enable → every user exists remotely);
(b) the incremental push after 100 people changed, counting requests sent;
(c) the peer's ceiling: a bare httpx loop creating N similar users on a fresh
    tenant with the same concurrency (one POST per user).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from scim_bench_support import free_port, recreate_database, start_scim_server

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "roster_bench_scim"


def remote_names(url: str) -> list[str]:
    import httpx

    names, start = [], 1
    with httpx.Client(timeout=120) as client:
        while True:
            page = client.get(
                f"{url}/Users",
                params={
                    "startIndex": start,
                    "count": 1000,
                    "sortBy": "userName",
                    "attributes": "userName",
                },
            ).json()
            items = page.get("Resources", [])
            names += [u["userName"] for u in items]
            start += len(items)
            if not items or start > page["totalResults"]:
                return names


def user_payload(i: int, prefix: str) -> dict:
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "userName": f"{prefix}{i:06d}@bench.example.com",
        "externalId": str(i),
        "name": {
            "givenName": f"First{i}",
            "familyName": f"Last{i}",
            "formatted": f"First{i} Last{i}",
        },
        "displayName": f"First{i} Last{i}",
        "emails": [
            {"value": f"{prefix}{i:06d}@bench.example.com", "type": "work", "primary": True}
        ],
        "title": "Engineer",
        "active": True,
        "addresses": [{"type": "work", "locality": "London"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"},
    }


def ceiling(url: str, n: int, concurrency: int) -> float:
    """Create n users with one POST each from `concurrency` threads; return users/s."""
    import httpx

    counter = iter(range(n))
    lock = threading.Lock()

    def work() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                r = client.post(
                    "/Users",
                    json=user_payload(i, "c"),
                    headers={"Content-Type": "application/scim+json"},
                )
                r.raise_for_status()

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n, changed = args.people, 100

    admin_url = os.environ.get(
        "BENCH_DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
    queue = f"scim-bench-{uuid.uuid4().hex[:8]}"
    db_url = recreate_database(admin_url, DB_NAME)
    var_dir = tempfile.mkdtemp(prefix="scim-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "ROSTER_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SCIM_PUSH_FANOUT": str(args.workers),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))

    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db.models import Sum

    from accounts import services as people
    from accounts.actors import CLI
    from accounts.models import Person
    from provisioning.scim import push, services
    from provisioning.scim.models import ScimLink, ScimRun

    call_command("migrate", verbosity=0)
    password = make_password(None)
    Person.objects.bulk_create(
        [
            Person(
                email=f"p{i:06d}@bench.example.com",
                first_name=f"First{i}",
                last_name=f"Last{i}",
                full_name=f"First{i} Last{i}",
                job_title="Engineer",
                department="Engineering",
                location="London",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    Person.objects.update(password=password)

    port = free_port()
    server = start_scim_server(port)
    procs: list[subprocess.Popen] = []
    try:
        tenant = f"http://127.0.0.1:{port}/roster/v2"
        for w in range(args.workers):
            log = open(Path(var_dir) / f"worker{w}.log", "w")  # noqa: SIM115
            procs.append(
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
                        "-n",
                        f"bench{w}@%h",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                        "-l",
                        "warning",
                    ],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        time.sleep(1)
        target = services.create_target(name="Bench", base_url=tenant, by=CLI, rate_limit=100_000)
        services.test_connection(target, by=CLI)
        # Let the workers finish booting so (a) measures pushing, not startup.
        from portal.celery import app

        deadline = time.monotonic() + 120
        while len(app.control.inspect(timeout=1).ping() or {}) < args.workers:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start")

        # (a) initial push
        started = time.monotonic()
        run = services.enable_target(target, by=CLI)
        # The run finishes when no link is pending any more (a cheap query
        # to poll, so the measurement does not slow the push down).
        while not ScimRun.objects.filter(pk=run.pk, status=ScimRun.Status.FINISHED).exists():
            time.sleep(0.1)
        initial_s = time.monotonic() - started
        assert ScimLink.objects.filter(target=target, remote_id__isnull=False).count() == n
        rate = n / initial_s

        # (b) incremental push after 100 changes
        before = ScimRun.objects.filter(target=target).aggregate(r=Sum("requests"))["r"] or 0
        for person in Person.objects.order_by("pk")[:changed]:
            people.update_person(person, by=CLI, job_title="Principal Engineer")
        deadline = time.monotonic() + 300
        while push.pending_links(target).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # let the last pass record its request count
        after = ScimRun.objects.filter(target=target).aggregate(r=Sum("requests"))["r"] or 0

        names = remote_names(tenant)
        remote_users = len(names)
        duplicates = remote_users - len(set(names))

        # (c) the peer's ceiling on a fresh tenant
        ceiling_rate = ceiling(f"http://127.0.0.1:{port}/ceiling/v2", n, args.workers)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        server.terminate()
        server.wait()

    print(
        json.dumps(
            {
                "bench": "scim_push",
                "people": n,
                "workers": args.workers,
                "initial_s": round(initial_s, 2),
                "rate_per_s": round(rate, 1),
                "ceiling_rate_per_s": round(ceiling_rate, 1),
                "ratio": round(rate / ceiling_rate, 2),
                "incremental_changed": changed,
                "incremental_requests": after - before,
                "remote_users": remote_users,
                "duplicates": duplicates,
            }
        )
    )


if __name__ == "__main__":
    main()
