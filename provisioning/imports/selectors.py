"""Reads for imports: what Roster holds (for planning), stored plans, progress."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast, overload

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum

from accounts.models import AllowedDomain, Person
from provisioning.imports.models import ImportChunk, ImportJob
from provisioning.reconcile import Action, Snapshot

# Order matters: provisioning.reconcile reads these tuples by position.
SNAPSHOT_FIELDS = (
    "id",
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager_id",
    "job_title",
    "department",
    "phone_number",
    "location",
    "status",
    "claimed_at",
    "version",
    "source",
    "role",
    "start_date",
)
_LENGTH_FIELDS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "department",
    "location",
)


def load_snapshot() -> Snapshot:
    """Return every person as a tuple plus lookup indexes, in two queries."""
    rows = Person.objects.order_by().values_list(*SNAPSHOT_FIELDS)
    declared = {field.name: field.max_length for field in Person._meta.concrete_fields}
    max_lengths = {
        name: length for name in _LENGTH_FIELDS if (length := declared[name]) is not None
    }
    max_lengths["manager_email"] = max_lengths["email"]
    max_lengths["manager_external_id"] = max_lengths["external_id"]
    return Snapshot.from_rows(
        rows.iterator(chunk_size=10_000),
        allowed_domains=AllowedDomain.objects.values_list("domain", flat=True),
        max_lengths=max_lengths,
    )


def get_import_job(pk: int) -> ImportJob:
    """Return the import or raise ImportJob.DoesNotExist."""
    return ImportJob.objects.select_related("created_by", "applied_by").get(pk=pk)


def list_import_jobs() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by", "applied_by")


def count_import_rows(job: ImportJob) -> dict[str, int]:
    """Return {action: stored row count} for every action."""
    sizes = dict(
        ImportChunk.objects.filter(job=job)
        .order_by()
        .values("action")
        .annotate(n=Sum("size"))
        .values_list("action", "n")
    )
    return {action: sizes.get(action, 0) for action in Action.ALL}


def list_import_rows(
    job: ImportJob, *, action: str | None = None, offset: int = 0, limit: int = 50
) -> list[dict[str, Any]]:
    """Return planned rows ``offset``..``offset+limit`` of one action (or of all of them,
    errors first), reading only the chunks that hold them."""
    if action is not None:
        return _slice_action(job, action, offset, limit)
    result: list[dict[str, Any]] = []
    for name, total in count_import_rows(job).items():
        if offset >= total:
            offset -= total
            continue
        part = _slice_action(job, name, offset, limit - len(result))
        result.extend(part)
        offset = 0
        if len(result) >= limit:
            break
    return result


def _slice_action(job: ImportJob, action: str, offset: int, limit: int) -> list[dict[str, Any]]:
    if limit <= 0:
        return []
    size = ImportChunk.CHUNK_SIZE
    first, last = offset // size, (offset + limit - 1) // size
    chunks = ImportChunk.objects.filter(
        job=job, action=action, index__gte=first, index__lte=last
    ).order_by("index")
    entries: list[dict[str, Any]] = []
    for chunk in chunks.values_list("entries", flat=True):
        entries.extend(_entries(chunk))
    start = offset - first * size
    return entries[start : start + limit]


def _entries(stored: Any) -> list[dict[str, Any]]:
    # ImportChunk.entries is a CompactJSONField: a TextField to the stubs, but
    # it reads back the stored list of rows, not text.
    return cast(list[dict[str, Any]], stored)


class ImportRowSequence:
    """Planned rows of one action as a sequence Django's Paginator can page through."""

    def __init__(self, job: ImportJob, action: str | None = None) -> None:
        self.job = job
        self.action = action
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            counts = count_import_rows(self.job)
            self._len = counts[self.action] if self.action else sum(counts.values())
        return self._len

    def count(self) -> int:
        return len(self)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[0 : len(self)])

    @overload
    def __getitem__(self, item: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, item: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, item: slice | int) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(item, int):
            rows = list_import_rows(self.job, action=self.action, offset=item, limit=1)
            if not rows:
                raise IndexError(item)
            return rows[0]
        start = item.start or 0
        stop = len(self) if item.stop is None else item.stop
        return list_import_rows(self.job, action=self.action, offset=start, limit=stop - start)


def iter_import_rows(job: ImportJob, actions: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Yield every stored row of ``actions``, in file order within each action."""
    for action in actions:
        chunks = ImportChunk.objects.filter(job=job, action=action).order_by("index")
        for entries in chunks.values_list("entries", flat=True).iterator(chunk_size=20):
            yield from _entries(entries)


def progress_key(job_id: int) -> str:
    return f"provisioning:import:{job_id}:progress"


@dataclass(frozen=True)
class ImportProgress:
    """How far an import is; ``processed``/``total`` rows."""

    status: str
    processed: int
    total: int

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0


def get_import_progress(job: ImportJob) -> ImportProgress:
    """Return live progress while applying (kept in the cache, outside the apply's
    transaction) or the rows read so far while planning, else the figures
    recorded on the job."""
    job.refresh_from_db(fields=["status", "processed_rows", "total_rows"])
    if job.status in (ImportJob.Status.APPLYING, ImportJob.Status.PLANNING):
        live = cache.get(progress_key(job.pk))
        if live:
            return ImportProgress(job.status, live["processed"], live["total"])
    return ImportProgress(job.status, job.processed_rows, job.total_rows)


def list_imports_to_purge(*, now: datetime) -> QuerySet[ImportJob]:
    """Imports whose file or unapplied preview outlived the retention period.

    Files count whatever the import's state: a preview that never finished
    must not keep its upload forever.
    """
    hours = getattr(settings, "ROSTER_IMPORT_RETENTION_HOURS", 24)
    unapplied = [
        ImportJob.Status.QUEUED,
        ImportJob.Status.PLANNING,
        ImportJob.Status.READY,
        ImportJob.Status.FAILED,
    ]
    return ImportJob.objects.filter(created_at__lt=now - timedelta(hours=hours)).filter(
        ~Q(file="") | Q(planned_at__isnull=False, status__in=unapplied)
    )


def list_stalled_import_plans(*, started_before: datetime) -> QuerySet[ImportJob]:
    """Imports whose preview has been in preparation since before ``started_before``."""
    return ImportJob.objects.filter(status=ImportJob.Status.PLANNING).filter(
        Q(planning_started_at__lt=started_before)
        | Q(planning_started_at__isnull=True, created_at__lt=started_before)
    )
