"""The Groups column of an import: what the preview shows and what applying writes.

A row's Groups cell lists the groups the person belongs to. The preview
counts, per group, who would join (and leave, when the import was asked to
remove people from groups their row no longer lists); applying writes those
memberships through ``accounts.groups.bulk`` in the import's own
transaction, right after the people, so an import is applied whole or not
at all. Rows with errors and skipped (staff) rows change no membership.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from accounts.groups.bulk import apply_listed_memberships, plan_listed_memberships
from accounts.models import LifecycleEvent
from accounts.services import Actorish
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.imports.reader import ParsedSheet
from provisioning.imports.services.bulk import insert_rows
from provisioning.imports.services.writes import import_actor
from provisioning.reconcile import Action, Plan

# The rows whose person is in Roster once the import is applied.
GROUP_ACTIONS = (Action.NEW, Action.UPDATE, Action.UNCHANGED, Action.DEACTIVATE, Action.REACTIVATE)


def has_groups_column(job: ImportJob) -> bool:
    """Tell whether the job's file has a column read as Groups."""
    return any(column.get("attribute") == "groups" for column in job.columns)


def plan_import_groups(
    plan: Plan, parsed: ParsedSheet, *, remove_unlisted: bool
) -> list[dict[str, Any]]:
    """Note on each planned row the groups it joins and leaves (and why a rule-based
    group is left alone); return the summary per group. Writes nothing."""
    if "groups" not in parsed.attributes:
        return []
    listed = {record.row: record.groups for record in parsed.records}
    label = parsed.column_names().get("groups", "Groups")
    rows = [r for r in plan.rows if r.action in GROUP_ACTIONS and r.row in listed]
    result = plan_listed_memberships(
        [(r.person_id, listed[r.row or 0]) for r in rows], remove_unlisted=remove_unlisted
    )
    for row, joins, leaves, warnings in zip(
        rows, result.joins, result.leaves, result.warnings, strict=True
    ):
        row.groups = {"listed": list(listed[row.row or 0]), "join": joins, "leave": leaves}
        row.warnings.extend({"column": label, "message": message} for message in warnings)
    return [group.as_dict() for group in result.groups]


def apply_import_groups(job: ImportJob, *, by: Actorish, created: dict[int, int]) -> None:
    """Write the memberships the job's rows list, in the caller's transaction.

    ``created`` maps the row number of each person the import created to
    their id. Raises NotAllowed or InvalidGroup (the import is then rolled back).
    """
    if not has_groups_column(job):
        return
    listed: list[tuple[int | None, list[str]]] = []
    for entry in selectors.iter_import_rows(job, GROUP_ACTIONS):
        groups = entry.get("groups")
        if groups is None:
            continue
        pid = entry.get("person_id") or created.get(entry["row"])
        if pid is not None:
            listed.append((pid, groups["listed"]))
    if listed:
        apply_listed_memberships(
            listed,
            by=import_actor(job, by),
            remove_unlisted=job.remove_from_groups,
            # COPY, as for the people's own audit rows: several times faster.
            writer=partial(insert_rows, LifecycleEvent, with_pk=False),
        )
