"""Time Roster's SCIM server the way an identity provider uses it.

    DATABASE_URL=postgres://postgres@127.0.0.1/roster_bench \\
        python bench/scim_server.py [--people 100000] [--requests 4000]

Seeds N people (bulk_create; a later run reuses them), issues a SCIM client,
serves Roster with gunicorn (2 workers) on loopback and drives it with 8
concurrent keep-alive clients: first ``userName eq`` lookups of random
people, then a mixed load (70% lookups, 20% PATCH, 10% POST). Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.actors import CLI  # noqa: E402
from accounts.models import Person  # noqa: E402
from provisioning.scim_server import services  # noqa: E402

DOMAIN = "scim-bench.example"
CLIENTS = 8
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def seed(n: int) -> None:
    have = Person.objects.filter(email__endswith=f"@{DOMAIN}").count()
    batch: list[Person] = []
    for i in range(have, n):
        batch.append(
            Person(
                email=f"bench{i}@{DOMAIN}",
                first_name="Bench",
                last_name=f"Person {i}",
                full_name=f"Bench Person {i}",
                department=random.choice(["Sales", "Engineering", "Finance", "People"]),
                source=Person.Source.SCIM,
                password="!",
            )
        )
        if len(batch) == 5000:
            Person.objects.bulk_create(batch)
            batch = []
    if batch:
        Person.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ROSTER_SCIM_RATE_LIMIT": "", "DJANGO_DEBUG": "false"}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


class Driver:
    """One client thread's keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        }

    def call(self, method: str, path: str, body: object = None) -> int:
        data = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    return 599
        return 599


def lookup(driver: Driver, people: list[tuple[int, str]]) -> bool:
    _, email = random.choice(people)
    query = quote(f'userName eq "{email}"')
    return driver.call("GET", f"/scim/v2/Users?filter={query}") == 200


def patch(driver: Driver, people: list[tuple[int, str]]) -> bool:
    pk, _ = random.choice(people)
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "title", "value": f"Title {uuid.uuid4().hex[:6]}"}
        ],
    }
    return driver.call("PATCH", f"/scim/v2/Users/{pk}", body) == 200


def post(driver: Driver, people: list[tuple[int, str]]) -> bool:
    body = {
        "schemas": [CORE],
        "userName": f"new-{uuid.uuid4().hex}@{DOMAIN}",
        "name": {"givenName": "New", "familyName": "Person"},
        "active": True,
    }
    return driver.call("POST", "/scim/v2/Users", body) == 201


def run(port: int, token: str, total: int, people, mix) -> tuple[float, float, int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = total // CLIENTS

    def work() -> None:
        nonlocal errors
        driver = Driver(port, token)
        mine: list[float] = []
        failed = 0
        for _ in range(per_client):
            action = random.choices([a for a, _ in mix], weights=[w for _, w in mix])[0]
            start = time.perf_counter()
            ok = action(driver, people)
            mine.append(time.perf_counter() - start)
            failed += not ok
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    p95 = statistics.quantiles(latencies, n=100)[94] * 1000
    return len(latencies) / wall, p95, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=4000, help="per phase")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    seed(args.people)
    people = list(
        Person.objects.filter(email__startswith="bench", email__endswith=f"@{DOMAIN}")
        .order_by("?")
        .values_list("pk", "email")[:20000]
    )
    issued = services.issue_client(f"bench-{uuid.uuid4().hex[:8]}", by=CLI)
    connection.close()
    port = free_port()
    server = serve(port)
    try:
        warm = Driver(port, issued.token)
        for _ in range(50):
            lookup(warm, people)
        lookup_rps, lookup_p95, lookup_errors = run(
            port, issued.token, args.requests, people, [(lookup, 1)]
        )
        mixed_rps, mixed_p95, mixed_errors = run(
            port, issued.token, args.requests, people, [(lookup, 70), (patch, 20), (post, 10)]
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(
        json.dumps(
            {
                "bench": "scim_server",
                "people": args.people,
                "lookup_rps": round(lookup_rps, 1),
                "lookup_p95_ms": round(lookup_p95, 1),
                "mixed_rps": round(mixed_rps, 1),
                "mixed_p95_ms": round(mixed_p95, 1),
                "errors": lookup_errors + mixed_errors,
            }
        )
    )


if __name__ == "__main__":
    main()
