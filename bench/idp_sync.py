"""Time identity-provider syncs end to end against a local wire-compatible server.

    DATABASE_URL=postgres://postgres@127.0.0.1/roster_idp_bench \\
        .venv/bin/python bench/idp_sync.py --provider graph|google [--users 50000] [--messy]

Serves a generated organisation (departments, manager chains several levels
deep) from the test suite's Google Directory API or Microsoft Graph server on
127.0.0.1, then measures with the product's own services and the real client
libraries: the first import (read, plan and apply; no invitations), a re-sync
with nothing changed, and a run after 1% of people changed (Graph reads the
delta; Google reads everything again). Prints one JSON line per provider.
``--messy`` serves the directory real tenants hold (``Directory.messy``: 5%
disabled, free-text phones, no mail or employee ID, archived, placeholders).

People it creates have emails at idp-bench.example.com and are deleted before
and after each run; do not point it at a database with real people.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django

django.setup()

import logging  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.actors import CLI  # noqa: E402
from accounts.models import LifecycleEvent, Person  # noqa: E402
from provisioning.idp import services as idp_services  # noqa: E402
from provisioning.idp.models import IdentitySource, SyncRun  # noqa: E402
from tests.provisioning.idp.directory import Directory  # noqa: E402
from tests.provisioning.idp.fake_google import FakeGoogle  # noqa: E402
from tests.provisioning.idp.fake_graph import FakeGraph  # noqa: E402

DOMAIN = "idp-bench.example.com"
NAME = "bench-idp"


def clean() -> None:
    IdentitySource.objects.filter(name=NAME).delete()
    people = Person.objects.filter(email__endswith=f"@{DOMAIN}")
    LifecycleEvent.objects.filter(person__in=people).delete()
    # Reporting lines point inside the set: clear them before deleting.
    people.update(manager=None)
    people.delete()


def connect(provider: str, server, workdir: Path) -> IdentitySource:
    if provider == "google":
        return idp_services.connect_source(
            by=CLI,
            name=NAME,
            kind="google",
            connection={"admin_email": f"admin@{DOMAIN}", "api_endpoint": server.api_endpoint},
            credentials={"service_account_info": server.service_account_info()},
        )
    return idp_services.connect_source(
        by=CLI,
        name=NAME,
        kind="entra",
        connection={
            "tenant_id": server.tenant_id,
            "client_id": server.client_id,
            "authority_host": server.base_url,
            "graph_url": server.base_url,
            "ca_bundle": str(server.cert_path),
        },
        credentials={"client_secret": server.client_secret},
    )


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, round(time.perf_counter() - started, 2)


def check(run: SyncRun, status: str = SyncRun.Status.DONE) -> SyncRun:
    if run.status != status:
        raise SystemExit(f"run #{run.pk} ended {run.status}: {run.error_message}")
    return run


def bench(provider: str, users: int, *, messy: bool = False) -> dict:
    clean()
    make = Directory.messy if messy else Directory.generate
    directory = make(users, domain=DOMAIN)
    google = provider == "google"
    active = {p.index for p in directory.people if p.enabled and not (google and p.archived)}
    workdir = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    if provider == "google":
        server = FakeGoogle(directory, domain=DOMAIN).start()
        server.admins = {f"admin@{DOMAIN}"}
    else:
        server = FakeGraph(directory, workdir=workdir).start()
    try:
        source = connect(provider, server, workdir)

        def first():
            preview = check(idp_services.run_sync(source, by=CLI), SyncRun.Status.PREVIEW)
            return check(idp_services.confirm_first_run(preview, by=CLI))

        run, first_s = timed(first)
        assert run.count_new == len(active) and run.count_errors == 0, run.counts
        created = run.count_new
        source.refresh_from_db()
        run, noop_s = timed(lambda: check(idp_services.run_sync(source, by=CLI)))
        assert run.count_new + run.count_updated == 0, run.counts
        changed = range(1, users, 100)
        for index in changed:
            directory.update(index, title=f"Changed {index}")
        source.refresh_from_db()
        run, incremental_s = timed(lambda: check(idp_services.run_sync(source, by=CLI)))
        assert run.count_updated == len(active.intersection(changed)), run.counts
        return {
            "bench": "idp_sync",
            "provider": provider,
            "users": users,
            "messy": messy,
            "active_in_fake": len(active),
            "people_created": created,
            "people_after_changes": Person.objects.filter(email__endswith=f"@{DOMAIN}").count(),
            "first_import_s": first_s,
            "noop_resync_s": noop_s,
            "incremental_s": incremental_s,
            "incremental_read": "delta" if run.is_incremental else "full",
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        server.stop()
        clean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["graph", "google"], action="append")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--messy", action="store_true", help="serve a realistic, messy directory")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Point DATABASE_URL at PostgreSQL.")
    call_command("migrate", verbosity=0)
    for provider in args.provider or ["graph", "google"]:
        print(json.dumps(bench(provider, args.users, messy=args.messy)), flush=True)


if __name__ == "__main__":
    main()
