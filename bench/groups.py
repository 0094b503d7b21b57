"""Time rule-based group recompute and a large group's push to a real scim2-server.

    .venv/bin/python bench/groups.py [--people 50000] [--groups 500] [--changed 1000]
                                     [--members 10000]

Needs PostgreSQL (BENCH_DATABASE_ADMIN_URL, default
postgres://postgres@127.0.0.1:5432/postgres; the database roster_bench_groups
is dropped and created). Measures, in this process:

(a) ``recompute_s``: recomputing every rule-based group (``--groups``, each
    "department is D and location is L" or "department is one of …") after
    ``--changed`` people moved department, as the recompute task does;
(b) ``push_members_s`` and ``requests``: pushing one static group of
    ``--members`` people, whose users already exist on the target, to
    scim2-server (POST with the first batch, then batched PATCH).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from scim_bench_support import free_port, recreate_database, start_scim_server

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "roster_bench_groups"
DEPARTMENTS = [f"Department {i:03d}" for i in range(100)]
LOCATIONS = [f"Site {i:02d}" for i in range(20)]


def create_remote_users(url: str, emails: list[str]) -> dict[str, str]:
    """Create users on the target with SCIM Bulk (1,000 a request); return email → id."""
    import httpx

    ids: dict[str, str] = {}
    with httpx.Client(timeout=600) as client:
        for start in range(0, len(emails), 1000):
            chunk = emails[start : start + 1000]
            ops = [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": email,
                    "data": {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": email,
                    },
                }
                for email in chunk
            ]
            body = client.post(
                f"{url}/Bulk",
                json={
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": ops,
                },
            ).json()
            for op in body.get("Operations", []):
                ids[op["bulkId"]] = op["location"].rstrip("/").rpartition("/")[2]
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()

    admin_url = os.environ.get(
        "BENCH_DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    os.environ.update(
        {
            "DATABASE_URL": recreate_database(admin_url, DB_NAME),
            "ROSTER_VAR_DIR": tempfile.mkdtemp(prefix="groups-bench-"),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from accounts.actors import CLI
    from accounts.groups import services as groups
    from accounts.models import Group, Person
    from provisioning.scim import push, services
    from provisioning.scim.groups_push import push_groups
    from provisioning.scim.models import ScimLink, ScimTarget

    call_command("migrate", verbosity=0)
    password = make_password(None)
    Person.objects.bulk_create(
        [
            Person(
                email=f"p{i:06d}@bench.example.com",
                full_name=f"Person {i}",
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                location=LOCATIONS[(i // 7) % len(LOCATIONS)],
                job_title="Engineer",
                password=password,
            )
            for i in range(args.people)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")
    for g in range(args.groups):
        if g % 2:
            conditions = [
                {"attribute": "department", "operator": "is", "value": DEPARTMENTS[g % 100]},
                {"attribute": "location", "operator": "is", "value": LOCATIONS[g % 20]},
            ]
            rule = {"match": "all", "conditions": conditions}
        else:
            values = [DEPARTMENTS[(g + k) % 100] for k in range(3)]
            rule = {"conditions": [{"attribute": "department", "operator": "in", "value": values}]}
        groups.create_group(name=f"Rule group {g}", kind="rule", rule=rule, by=CLI)

    ids = list(Person.objects.order_by("?").values_list("pk", flat=True)[: args.changed])
    for n, pk in enumerate(ids):
        Person.objects.filter(pk=pk).update(department=DEPARTMENTS[(n * 37) % 100])
    started = time.monotonic()
    changes = groups.recompute_groups(person_ids=ids)
    recompute_s = time.monotonic() - started
    moved = sum(len(c.added) + len(c.removed) for c in changes.values())

    port = free_port()
    server = start_scim_server(port)
    try:
        url = f"http://127.0.0.1:{port}/g{uuid.uuid4().hex[:8]}/v2"
        members = list(Person.objects.order_by("pk")[: args.members])
        remote_ids = create_remote_users(url, [p.email for p in members])
        big = groups.create_group(
            name="Everyone in the bench", member_ids=[p.pk for p in members], by=CLI
        )
        target = services.create_target(
            name="bench",
            base_url=url,
            by=CLI,
            rate_limit=1000,
            push_groups=True,
            scope_groups=[big.pk],
        )
        ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)
        ScimLink.objects.bulk_create(
            [
                ScimLink(
                    target=target,
                    person=p,
                    person_ref=p.pk,
                    remote_id=remote_ids[p.email],
                    synced_version=p.version,
                    needs_lookup=False,
                )
                for p in members
            ],
            batch_size=5000,
        )
        with push.client_for(ScimTarget.objects.get(pk=target.pk)) as client:
            started = time.monotonic()
            outcome = push_groups(target.pk, client=client)
            push_members_s = time.monotonic() - started
        import httpx

        remote = httpx.get(f"{url}/Groups", timeout=120).json()["Resources"][0]
        assert len(remote.get("members") or []) == args.members, "members missing remotely"
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(
        json.dumps(
            {
                "bench": "groups",
                "people": args.people,
                "groups": Group.objects.filter(kind=Group.Kind.RULE).count(),
                "changed": len(ids),
                "memberships_moved": moved,
                "recompute_s": round(recompute_s, 2),
                "members": args.members,
                "push_members_s": round(push_members_s, 2),
                "requests": outcome.requests,
            }
        )
    )


if __name__ == "__main__":
    main()
