"""Plan a sync run: read the directory, keep the people this source may change,
plan them with the shared reconcile engine exactly as a spreadsheet preview is
planned, and store the plan on an ``ImportJob`` with the run's figures.

A source owns the people linked to it: people another source holds are left
alone (conflicts), people already in Roster are linked rather than
duplicated, and the deactivation guard's threshold comes from the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from accounts.models import Person
from provisioning.idp.models import IdentitySource, SourceLink, SyncRun
from provisioning.idp.services.group_planning import run_fields
from provisioning.idp.services.group_reading import pack_groups, read_groups
from provisioning.idp.services.reading import pack_snapshot, read_directory
from provisioning.idp.services.sources import Actorish, mapping_for
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob

# The spreadsheet preview's own storage: the admin pages read plans from it.
from provisioning.imports.services import _store_plan
from provisioning.reconcile import (
    DEACTIVATED,
    DEFAULT_LABELS,
    EMAIL,
    SOURCE,
    STATUS,
    Action,
    Plan,
    PlanOptions,
    absent_row,
    compute_plan,
    deactivation_threshold,
)
from provisioning.records import ExternalRecord

# How many errors and conflicts a run keeps for its page.
LIST_LIMIT = 200


def plan_run(run: SyncRun, source: IdentitySource, *, by: Actorish, full: bool) -> None:
    """Read the source and store the run's plan and figures; apply nothing.

    Raises DirectoryError when the provider fails, SourceProblem when the
    mapping is invalid.
    """
    read = read_directory(source, mapping_for(source), full=full)
    group_read = read_groups(source, full=full)
    snapshot = selectors.load_snapshot()
    owned, others, link_state = _owners(source)
    snapshot.by_source_id = {key: pid for pid, (key, _) in link_state.items() if key}
    records, conflicts, linked = _prepare(read.records, snapshot, owned=owned, others=others)
    share, maximum = _guard(source)
    options = PlanOptions(
        source=source.kind,
        attributes=frozenset(DEFAULT_LABELS) - {"manager_external_id", "start_date"},
        deactivation_share=share,
        deactivation_max=maximum,
        lenient=True,
        clear_blank_ids=True,
    )
    plan = compute_plan(records, snapshot, options)
    # People this run brings in or links join their groups once it is applied.
    pending = {
        r.source_id
        for r in plan.rows
        if r.source_id and r.action not in (Action.ERROR, Action.SKIPPED)
    }
    if read.snapshot is not None:
        read.snapshot["retry"] = _retry_ids(plan, conflicts)
    if read.complete:
        _deactivate_missing(plan, snapshot, owned=owned)
    plan.source_population = len(owned)
    plan.deactivation_threshold = deactivation_threshold(len(owned), share=share, maximum=maximum)
    counts = plan.counts
    now = timezone.now()
    job = ImportJob.objects.create(
        source=source.kind,
        status=ImportJob.Status.READY,
        created_by=by if isinstance(by, Person) else None,
        original_filename=f"{source.get_kind_display()}: {source.name}",
        is_complete_list=read.complete,
        skip_invalid=True,
        total_rows=len(records),
        count_new=counts["new"],
        count_updated=counts["updated"],
        count_unchanged=counts["unchanged"],
        count_deactivated=counts["deactivated"],
        count_reactivated=counts["reactivated"],
        count_errors=counts["errors"],
        count_skipped=counts["skipped"],
        deactivation_threshold=plan.deactivation_threshold,
        planned_at=now,
    )
    # Unchanged people are counted, not stored: nothing is written for them, and
    # those not yet linked to this source are kept in ``linked``.
    rejected = {r.person_id for r in plan.rows if r.action == Action.ERROR}
    linked = [entry for entry in linked if entry["person_id"] not in rejected]
    warned = plan.warned
    warnings = [
        {"email": r.email, "messages": [f"{w['column']}: {w['message']}" for w in r.warnings]}
        for r in warned[:LIST_LIMIT]
    ]
    # Unchanged people are stored only when their link to the source changes
    # (its provider id, or the warnings shown on their page).
    plan.rows = [
        r
        for r in plan.rows
        if r.action != Action.UNCHANGED
        or link_state.get(r.person_id or 0) != (r.source_id or None, r.warnings)
    ]
    _store_plan(job, plan)
    errors = [
        {"email": r.email, "message": "; ".join(e["message"] for e in r.errors)}
        for r in plan.by_action(Action.ERROR)[:LIST_LIMIT]
    ]
    SyncRun.objects.filter(pk=run.pk).update(
        job=job,
        is_incremental=read.incremental,
        count_fetched=read.fetched,
        count_in_scope=read.in_scope,
        count_new=counts["new"],
        count_updated=counts["updated"],
        count_unchanged=counts["unchanged"],
        count_deactivated=counts["deactivated"],
        count_reactivated=counts["reactivated"],
        count_errors=counts["errors"],
        count_skipped=counts["skipped"],
        count_linked=len(linked),
        count_conflicts=len(conflicts),
        count_warnings=len(warned),
        deactivation_threshold=plan.deactivation_threshold,
        errors=errors,
        warnings=warnings,
        conflicts=conflicts[:LIST_LIMIT],
        linked=linked,
        progress_total=len(records),
        pending_snapshot=pack_snapshot(read.snapshot) if read.snapshot is not None else None,
        pending_delta_link=read.delta_link,
        pending_groups=pack_groups(source, group_read),
        pending_groups_delta_link=group_read.delta_link,
        **run_fields(source, group_read.groups, pending=pending),
    )
    if read.departments is not None:
        IdentitySource.objects.filter(pk=source.pk).update(known_departments=read.departments)


def _guard(source: IdentitySource) -> tuple[float, int]:
    if source.guard_mode == IdentitySource.GuardMode.COUNT:
        return 1.0, source.guard_value
    if source.guard_mode == IdentitySource.GuardMode.PERCENT:
        return source.guard_value / 100, 10**9
    return 0.10, 50


def _prepare(
    records: Sequence[ExternalRecord],
    snapshot: Any,
    *,
    owned: set[int],
    others: dict[int, str],
) -> tuple[list[ExternalRecord], list[dict[str, str]], list[dict[str, str]]]:
    """Drop people another source holds, and unknown suspended people; note links.

    A manager outside Roster and this batch is left to the planner, which
    plans the line empty with a warning (so the person is planned again on
    the next run, when the manager may be there).
    """
    kept: list[ExternalRecord] = []
    conflicts: list[dict[str, str]] = []
    linked: list[dict[str, str]] = []
    for record in records:
        pid = snapshot.by_source_id.get(record.source_id) if record.source_id else None
        if pid is None and record.external_id:
            pid = snapshot.by_external_id.get(record.external_id)
        if pid is None and record.email:
            pid = snapshot.by_email.get(record.email.lower())
        if pid is not None and pid in others:
            conflicts.append(
                {"email": record.email, "source": others[pid], "source_id": record.source_id}
            )
            continue
        if pid is None and record.is_active is False:
            continue
        if pid is not None and pid not in owned:
            origin = snapshot.people[pid][SOURCE]
            linked.append({"email": snapshot.people[pid][EMAIL], "from": origin, "person_id": pid})
        kept.append(record)
    return kept, conflicts, linked


def _deactivate_missing(plan: Plan, snapshot: Any, *, owned: set[int]) -> None:
    """Complete-list semantics per source: its people the directory no longer
    lists in scope are deactivated (people of other sources are not touched)."""
    seen = {row.person_id for row in plan.rows if row.person_id is not None}
    for pid in sorted(owned - seen):
        person = snapshot.people.get(pid)
        if person is None or person[STATUS] == DEACTIVATED:
            continue
        plan.rows.append(absent_row(person))


def _owners(
    source: IdentitySource,
) -> tuple[set[int], dict[int, str], dict[int, tuple[str | None, list[Any]]]]:
    """Return this source's people, other sources' people (-> source name) and,
    for this source's people, (provider id, warnings) of their link."""
    owned: set[int] = set()
    others: dict[int, str] = {}
    state: dict[int, tuple[str | None, list[Any]]] = {}
    for person_id, source_id, name, key, warnings in SourceLink.objects.values_list(
        "person_id", "source_id", "source__name", "external_key", "warnings"
    ):
        if source_id == source.pk:
            owned.add(person_id)
            state[person_id] = (key, warnings)
        else:
            others[person_id] = name
    return owned, others, state


def _retry_ids(plan: Plan, conflicts: list[dict[str, str]]) -> list[str]:
    """Provider ids of the people this run could not import cleanly (rejected,
    skipped, imported with warnings, held by another source): an incremental
    run plans them again."""
    retry = {
        r.source_id
        for r in plan.rows
        if r.source_id and (r.warnings or r.action in (Action.ERROR, Action.SKIPPED))
    }
    retry.update(c["source_id"] for c in conflicts if c.get("source_id"))
    return sorted(retry)
