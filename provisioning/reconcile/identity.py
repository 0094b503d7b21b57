"""Planning step 1, identity: normalise each record's keys, reject keys repeated
within the batch, and match records to people by the provider's immutable id
(directory imports), else by external ID, else by email (case-insensitive)."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.services import normalise_email
from provisioning.reconcile.snapshot import EXT, Snapshot, describe_person
from provisioning.reconcile.work import ErrorFn, Work


def match_people(
    works: list[Work], snapshot: Snapshot, error: ErrorFn, labels: dict[str, str]
) -> dict[int, Work]:
    """Set each record's email, external ID and matched person; return the first
    record matched to each person id."""
    people = snapshot.people
    # First occurrences only; a list is made for keys seen twice (memory).
    first_email: dict[str, Work] = {}
    first_ext: dict[str, Work] = {}
    email_rows: dict[str, list[Work]] = {}
    ext_rows: dict[str, list[Work]] = {}
    for work in works:
        record = work.record
        work.email = normalise_email(record.email) if record.email else ""
        work.ext = record.external_id or None
        if work.email:
            key = work.email.lower()
            seen = first_email.setdefault(key, work)
            if seen is not work:
                email_rows.setdefault(key, [seen]).append(work)
        if work.ext:
            seen = first_ext.setdefault(work.ext, work)
            if seen is not work:
                ext_rows.setdefault(work.ext, [seen]).append(work)
    del first_email, first_ext
    for key, group in email_rows.items():
        if len(group) > 1:
            where = _rows_text(w.record.row for w in group)
            for work in group:
                error(
                    work,
                    "email",
                    f"The email {key} appears on rows {where}. Each person can appear only once.",
                )
    for key, group in ext_rows.items():
        if len(group) > 1:
            where = _rows_text(w.record.row for w in group)
            for work in group:
                error(
                    work,
                    "external_id",
                    f"The {labels['external_id']} {key} appears on rows {where}. "
                    "Each person can appear only once.",
                )

    matched_by: dict[int, Work] = {}
    for work in works:
        if not work.email:
            error(work, "email", "The email is missing. Every person needs a work email.")
            continue
        key = work.email.lower()
        owner = snapshot.by_email.get(key)
        pid: int | None
        source_id = work.record.source_id
        by_source = snapshot.by_source_id.get(source_id) if source_id else None
        if by_source is not None and by_source in people:
            # The provider's own id outlives email and employee-ID changes.
            pid = by_source
            if owner is not None and owner != pid:
                error(
                    work,
                    "email",
                    f"Another person ({describe_person(people[owner])}) already has the email "
                    f"{work.email}.",
                )
            holder = snapshot.by_external_id.get(work.ext) if work.ext else None
            if holder is not None and holder != pid:
                error(
                    work,
                    "external_id",
                    f"Another person ({describe_person(people[holder])}) already has the "
                    f"{labels['external_id']} {work.ext}.",
                )
        elif work.ext and work.ext in snapshot.by_external_id:
            pid = snapshot.by_external_id[work.ext]
            if owner is not None and owner != pid:
                error(
                    work,
                    "email",
                    f"Another person ({describe_person(people[owner])}) already has the email "
                    f"{work.email}.",
                )
        elif owner is not None:
            pid = owner
            current_ext = people[pid][EXT]
            if work.ext and current_ext and current_ext != work.ext:
                error(
                    work,
                    "external_id",
                    f"The email {work.email} belongs to {describe_person(people[pid])}, whose "
                    f"{labels['external_id']} is {current_ext}, not {work.ext}. "
                    "Correct the email or the ID.",
                )
        else:
            pid = None
        if pid is not None:
            earlier = matched_by.get(pid)
            if earlier is not None and not work.errors:
                error(
                    work,
                    "email",
                    f"This row and row {earlier.record.row} are the same person "
                    f"({describe_person(people[pid])}).",
                )
            elif earlier is None:
                matched_by[pid] = work
            work.pid = pid
    return matched_by


def _rows_text(numbers: Iterable[int]) -> str:
    items = [str(n) for n in sorted(numbers)]
    if len(items) > 5:
        items = [*items[:5], "…"]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]
