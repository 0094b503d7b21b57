"""``compute_plan``: run the planning steps over a batch of records and turn each
record's outcome into a ``PlanRow``; a complete list also deactivates the
source's people it does not mention. Pure and in memory: no queries."""

from __future__ import annotations

from collections.abc import Sequence

from provisioning.reconcile.attributes import plan_attributes
from provisioning.reconcile.identity import match_people
from provisioning.reconcile.managers import plan_managers, settle
from provisioning.reconcile.plan import (
    DEFAULT_LABELS,
    Action,
    Plan,
    PlanOptions,
    PlanRow,
    absent_row,
    deactivation_threshold,
)
from provisioning.reconcile.snapshot import (
    DEACTIVATED,
    SOURCE,
    STATUS,
    VERSION,
    Snapshot,
    staff_skip_reason,
)
from provisioning.reconcile.work import Work, error_reporter
from provisioning.records import ExternalRecord


def compute_plan(
    records: Sequence[ExternalRecord], snapshot: Snapshot, options: PlanOptions
) -> Plan:
    """Plan what ``records`` change in Roster; pure, in memory, no queries."""
    labels = {**DEFAULT_LABELS, **options.labels}
    attrs = options.attributes
    people = snapshot.people
    works = [Work(r) for r in records]
    error = error_reporter(labels)
    warn = error_reporter(labels, warning=True) if options.lenient else None

    # 1. Identity: normalise keys, find duplicates within the batch, match.
    matched_by = match_people(works, snapshot, error, labels)

    # 2. Attributes: validate each cell, then diff against the match.
    plan_attributes(works, snapshot, options, error, labels, warn)

    # 3. Managers: resolve references (possibly to rows of this batch).
    if "manager_email" in attrs or "manager_external_id" in attrs:
        plan_managers(works, snapshot, error, labels, warn)

    # 4. Rows that depend on rejected rows, and reporting loops, until stable
    # (a lenient plan keeps such rows with the manager empty).
    settle(works, snapshot, error, warn)

    # 5. Actions.
    rows: list[PlanRow] = []
    for work in works:
        record = work.record
        if work.errors:
            action = Action.ERROR
        elif work.pid is None:
            action = Action.NEW
        elif work.status == DEACTIVATED:
            action = Action.DEACTIVATE
        elif work.status is not None:
            action = Action.REACTIVATE
        elif work.changes:
            action = Action.UPDATE
        else:
            action = Action.UNCHANGED
        changes = work.changes
        if work.status is not None and action != Action.ERROR:
            before = people[work.pid][STATUS] if work.pid is not None else None
            changes = {**changes, "status": [before, work.status]}
        existing = people[work.pid] if work.pid is not None else None
        reason = ""
        if action in (Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE) and existing:
            reason = staff_skip_reason(existing) or ""
            if reason:
                action = Action.SKIPPED
        rows.append(
            PlanRow(
                action=action,
                row=record.row,
                email=work.email or record.email,
                name=work.name,
                person_id=work.pid,
                version=existing[VERSION] if existing else None,
                changes=changes if action != Action.UNCHANGED else {},
                manager=work.manager_ref,
                errors=work.errors,
                raw=dict(record.raw) if work.errors else None,
                reason=reason,
                warnings=work.warnings if action != Action.ERROR else [],
                source_id=record.source_id,
            )
        )

    # 6. A complete list deactivates the source's people it does not mention.
    population = sum(1 for p in people.values() if p[SOURCE] == options.source)
    if options.complete_list:
        for pid, person in people.items():
            if (
                person[SOURCE] == options.source
                and person[STATUS] != DEACTIVATED
                and pid not in matched_by
                and pid != options.actor_id
            ):
                rows.append(absent_row(person))
    threshold = deactivation_threshold(
        population, share=options.deactivation_share, maximum=options.deactivation_max
    )
    return Plan(
        rows=rows,
        source=options.source,
        deactivation_threshold=threshold,
        source_population=population,
    )
