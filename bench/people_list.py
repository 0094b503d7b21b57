"""Time the admin People page on the configured database.

    DATABASE_URL=postgres://… python bench/people_list.py [--people 100000]

Seeds people with bulk inserts (a management tree, departments, locations,
statuses, sources) unless the table already holds enough, signs in an
administrator, and requests the real admin pages through django.test.Client.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services  # noqa: E402
from accounts.actors import SYSTEM  # noqa: E402
from accounts.models import Person  # noqa: E402

ADMIN_EMAIL = "bench-admin@example.com"
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Amara",
    "Ben",
    "Carla",
    "Chen",
    "Dara",
    "Elena",
    "Farid",
    "Grace",
    "Hana",
    "Ivan",
    "Jonas",
    "Kemi",
    "Lena",
    "Luis",
    "Maya",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Smith",
    "Smithson",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Clark",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Morgan",
    "Patel",
]
DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Finance",
    "People",
    "Legal",
    "Marketing",
    "Support",
    "Operations",
    "Research",
    "Design",
    "Security",
    "Data",
]
LOCATIONS = ["London", "Paris", "Berlin", "Madrid", "Lisbon", "Dublin", "Warsaw", "Remote"]
TITLES = [
    "Engineer",
    "Analyst",
    "Manager",
    "Director",
    "Designer",
    "Specialist",
    "Consultant",
    "Associate",
]
STATUSES = [("active", 70), ("invited", 10), ("staged", 12), ("deactivated", 8)]
SOURCES = [("manual", 10), ("spreadsheet", 40), ("google", 25), ("entra", 20), ("scim", 5)]
REPORTS_PER_MANAGER = 8
BATCH = 5_000


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def seed(target: int) -> None:
    """Bulk-insert people until the table holds ``target`` (besides the admin)."""
    existing = Person.objects.exclude(email=ADMIN_EMAIL).count()
    missing = target - existing
    if missing <= 0:
        return
    rng = random.Random(existing)
    start = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = timezone.now()
    with transaction.atomic():
        for offset in range(0, missing, BATCH):
            rows = []
            for i in range(offset, min(offset + BATCH, missing)):
                n = existing + i
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                status = _weighted(rng, STATUSES)
                claimed = status in ("active", "deactivated")
                # Breadth-first tree: person i reports to person (i - 1) // 8.
                manager_id = start + (i - 1) // REPORTS_PER_MANAGER if i else None
                rows.append(
                    Person(
                        pk=start + i,
                        email=f"{first}.{last}.{n}@example.com".lower(),
                        external_id=f"EMP{n:07d}",
                        first_name=first,
                        last_name=last,
                        full_name=f"{first} {last}",
                        manager_id=manager_id,
                        job_title=rng.choice(TITLES),
                        department=rng.choice(DEPARTMENTS),
                        location=rng.choice(LOCATIONS),
                        status=status,
                        is_active=status == "active",
                        source=_weighted(rng, SOURCES),
                        claimed_at=now if claimed else None,
                        deactivated_at=now if status == "deactivated" else None,
                        password="!",
                    )
                )
            Person.objects.bulk_create(rows, batch_size=1_000)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Person]):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_person")
            cursor.execute("ANALYZE accounts_lifecycleevent")


def administrator() -> Person:
    person = Person.objects.filter(email=ADMIN_EMAIL).first()
    if person is None:
        person = services.create_administrator(
            email=ADMIN_EMAIL, password=None, by=SYSTEM, full_name="Bench Administrator"
        )
    return person


def measure(client: Client, url: str, *, runs: int, warmup: int) -> dict[str, float | int]:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(p95, 1),
        "queries": len(queries.captured_queries),
    }


def queries_at(client: Client, url: str, per_page: int) -> int:
    person_admin = admin.site._registry[Person]
    original = person_admin.list_per_page
    person_admin.list_per_page = per_page
    try:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(response.context_data["cl"].result_list) == per_page
    finally:
        person_admin.list_per_page = original
    return len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    settings.DEBUG = False

    seed(args.people)
    client = Client(HTTP_HOST="localhost")
    client.force_login(administrator())
    base = "/admin/accounts/person/"
    cases = {
        "list": base,
        "search": f"{base}?q=smi",
        "filter": f"{base}?department=Engineering&status__exact=active",
        "deep_page": f"{base}?p=500",
    }
    results = {
        name: measure(client, url, runs=args.runs, warmup=args.warmup)
        for name, url in cases.items()
    }
    print(
        json.dumps(
            {
                "bench": "people_list",
                "people": Person.objects.count(),
                "db": connection.vendor,
                "cases": results,
                "queries_page_25": queries_at(client, base, 25),
                "queries_page_100": queries_at(client, base, 100),
            }
        )
    )


if __name__ == "__main__":
    main()
