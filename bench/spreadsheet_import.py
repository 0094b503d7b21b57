"""Time spreadsheet imports end to end on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1/roster_import_bench \\
        .venv/bin/python bench/spreadsheet_import.py [--rows 100000]

Generates a realistic file (departments, locations, managers on earlier and
later rows, 5% of rows updating people who already exist), then measures with
the product's own services: CSV preview (parse + plan) and apply, the same for
XLSX from a fresh state, and a re-import of the same CSV (all unchanged). For
comparison it also measures the floor (the csv module plus bulk_create in
batches of 1,000 into the same table) and django-import-export's default
per-row import on a 10,000-row sample. Prints one JSON line.

People it creates have emails at bench.example.com and are deleted before and
after each run; do not point it at a database with real people.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import services as accounts_services  # noqa: E402
from accounts.actors import SYSTEM  # noqa: E402
from accounts.models import Person  # noqa: E402
from provisioning.imports import services  # noqa: E402
from provisioning.imports.models import ImportJob  # noqa: E402

DOMAIN = "bench.example.com"
ADMIN_EMAIL = f"bench-admin@{DOMAIN}"
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
    "Facilities",
]
LOCATIONS = ["London", "Paris", "Berlin", "Madrid", "Dublin", "Lisbon", "Warsaw", "Leeds"]
TITLES = ["Analyst", "Engineer", "Manager", "Director", "Associate", "Consultant", "Specialist"]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
HEADERS = [
    "Email",
    "Employee ID",
    "First name",
    "Last name",
    "Full name",
    "Manager email",
    "Job title",
    "Department",
    "Phone number",
    "Location",
    "Status",
]


def generate_rows(n: int, *, prefix: str = "user") -> list[list[str]]:
    """Return n rows; managers form a tree whose members sit before and after them."""
    rng = random.Random(42)
    order = list(range(n))
    rng.shuffle(order)  # order[rank] = row index
    manager_of = {}
    for rank in range(1, n):
        manager_of[order[rank]] = order[(rank - 1) // 8]
    rows = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        manager = manager_of.get(i)
        rows.append(
            [
                f"{prefix}{i:06}@{DOMAIN}",
                f"{prefix[0].upper()}{i:06}",
                first,
                last,
                f"{first} {last}",
                f"{prefix}{manager:06}@{DOMAIN}" if manager is not None else "",
                rng.choice(TITLES),
                rng.choice(DEPARTMENTS),
                f"+44 20 7{rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
                if rng.random() < 0.8
                else "",
                rng.choice(LOCATIONS),
                "Active",
            ]
        )
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("People")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cleanup() -> None:
    like = f"%@{DOMAIN}"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_person SET manager_id = NULL WHERE email LIKE %s AND email <> %s",
            [like, ADMIN_EMAIL],
        )
        cursor.execute(
            "DELETE FROM accounts_lifecycleevent WHERE person_id IN "
            "(SELECT id FROM accounts_person WHERE email LIKE %s AND email <> %s)",
            [like, ADMIN_EMAIL],
        )
        cursor.execute(
            "DELETE FROM accounts_person WHERE email LIKE %s AND email <> %s", [like, ADMIN_EMAIL]
        )
        cursor.execute("DELETE FROM provisioning_importchunk")
        cursor.execute("DELETE FROM provisioning_importjob")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounts_person")
            cursor.execute("VACUUM ANALYZE accounts_lifecycleevent")


def pick_existing(rows: list[list[str]], share: float = 0.05) -> list[list[str]]:
    """Return the rows (5%) whose people exist before the import."""
    rng = random.Random(7)
    return [rows[i] for i in rng.sample(range(len(rows)), int(len(rows) * share))]


def seed_existing(existing: list[list[str]]) -> int:
    """Create the people those rows update (another job title)."""
    people = [
        Person(
            email=email,
            external_id=ext,
            first_name=first,
            last_name=last,
            full_name=full,
            job_title=title + " (old)",
            department=dept,
            location=location,
            source="spreadsheet",
            password=UNUSABLE_PASSWORD_PREFIX + "x",
        )
        for email, ext, first, last, full, _, title, dept, _, location, _ in existing
    ]
    Person.objects.bulk_create(people, batch_size=1000)
    return len(people)


def admin() -> Person:
    person = Person.objects.filter(email=ADMIN_EMAIL).first()
    if person is None:
        person = accounts_services.create_administrator(
            email=ADMIN_EMAIL, password=None, by=SYSTEM, full_name="Bench Admin"
        )
    return person


def timed_import(content: bytes, filename: str, by: Person) -> tuple[float, float, ImportJob]:
    start = time.perf_counter()
    job = services.start_import(content, by=by, filename=filename)
    services.plan_import(job, by=by)
    preview = time.perf_counter() - start
    job.refresh_from_db()
    if services.blocking_problems(job):
        raise SystemExit(f"{filename}: {services.blocking_problems(job)} {job.file_errors}")
    start = time.perf_counter()
    services.confirm_import(job, by=by, enqueue=False)
    job = services.apply_import(job.pk)
    apply = time.perf_counter() - start
    if job.status != ImportJob.Status.DONE:
        raise SystemExit(f"{filename}: apply {job.status}: {job.error_message}")
    return preview, apply, job


def floor(content: bytes) -> float:
    """csv module + bulk_create(batch_size=1000) into the person table."""
    start = time.perf_counter()
    reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""))
    next(reader)
    batch: list[Person] = []
    for email, ext, first, last, full, _, title, dept, phone, location, _ in reader:
        batch.append(
            Person(
                email="floor-" + email,
                external_id="F" + ext,
                first_name=first,
                last_name=last,
                full_name=full,
                job_title=title,
                department=dept,
                phone_number=phone.replace(" ", ""),
                location=location,
                password=UNUSABLE_PASSWORD_PREFIX + "x",
            )
        )
        if len(batch) == 1000:
            Person.objects.bulk_create(batch)
            batch = []
    if batch:
        Person.objects.bulk_create(batch)
    elapsed = time.perf_counter() - start
    Person.objects.filter(email__startswith="floor-").delete()
    return elapsed


def import_export_default(rows: list[list[str]]) -> float:
    """django-import-export's stock import_data on a sample → rows per second."""
    import tablib

    from provisioning.imports.resources import PlainPersonResource

    dataset = tablib.Dataset(
        headers=[
            "email",
            "external_id",
            "first_name",
            "last_name",
            "full_name",
            "job_title",
            "department",
            "phone_number",
            "location",
        ]
    )
    for email, ext, first, last, full, _, title, dept, phone, location, _ in rows:
        dataset.append(
            [
                "ie-" + email,
                "I" + ext,
                first,
                last,
                full,
                title,
                dept,
                phone.replace(" ", ""),
                location,
            ]
        )
    start = time.perf_counter()
    result = PlainPersonResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    assert not result.has_errors()
    Person.objects.filter(email__startswith="ie-").delete()
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--skip-import-export", action="store_true")
    args = parser.parse_args()
    n = args.rows
    call_command("migrate", verbosity=0)
    settings.ROSTER_IMPORT_MAX_ROWS = max(n, 200_000)
    by = admin()
    rows = generate_rows(n)
    content = to_csv(rows)
    workbook = b"" if args.skip_xlsx else to_xlsx(rows)
    existing = pick_existing(rows)
    # Keep only the files: the harness's own data would count in the peak RSS.
    del rows
    gc.collect()
    figures: dict[str, object] = {
        "bench": "spreadsheet_import",
        "rows": n,
        "db": connection.vendor,
    }

    # The floor is measured right before and right after the CSV import and
    # averaged, so a busy machine slows both sides of the ratio alike.
    cleanup()
    floor_before = floor(content)
    seed_existing(existing)
    csv_preview, csv_apply, job = timed_import(content, "people.csv", by)
    cleanup()
    floor_after = floor(content)
    assert job.count_new == n - int(n * 0.05) and job.count_updated == int(n * 0.05), job.counts
    figures["csv_preview_s"] = round(csv_preview, 2)
    figures["csv_apply_s"] = round(csv_apply, 2)

    if not args.skip_xlsx:
        cleanup()
        seed_existing(existing)
        xlsx_preview, xlsx_apply, job = timed_import(workbook, "people.xlsx", by)
        del workbook
        figures["xlsx_preview_s"] = round(xlsx_preview, 2)
        figures["xlsx_apply_s"] = round(xlsx_apply, 2)

    if args.skip_xlsx:
        cleanup()
        seed_existing(existing)
        timed_import(content, "people.csv", by)
    start = time.perf_counter()
    _, _, job = timed_import(content, "people.csv", by)
    figures["reimport_unchanged_s"] = round(time.perf_counter() - start, 2)
    assert job.count_unchanged == n, job.counts

    floor_s = (floor_before + floor_after) / 2
    figures["floor_s"] = round(floor_s, 2)
    figures["ratio_vs_floor"] = round((csv_preview + csv_apply) / floor_s, 2)
    if not args.skip_import_export:
        sample = generate_rows(min(n, 10_000), prefix="sample")
        figures["import_export_default_rows_per_s"] = round(import_export_default(sample), 1)
    cleanup()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
