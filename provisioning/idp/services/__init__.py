"""Identity-provider sources: connect, test, sync through the shared reconcile engine,
approve or reject paused runs, and keep each source's schedule.

A run reads the directory (HTTP, outside any transaction), builds
``ExternalRecord`` objects through the source's attribute mapping, plans
them with ``provisioning.reconcile.compute_plan`` exactly as a spreadsheet
preview is planned, stores the plan on an ``ImportJob`` and, unless it is a
dry run, the source's first run, or the deactivation guard trips, applies it
with ``provisioning.imports.services.apply_plan`` in one transaction together with
the source's links to people and its directory snapshot. A run that is not
applied leaves the snapshot and delta link untouched, so nothing read is lost.

One module per use case: ``sources`` (connect, update, delete; mapping and
client configuration), ``schedules``, ``connection`` (test, departments),
``sync`` (``run_sync``), which uses ``reading``, ``planning``, ``applying`` and
``runs`` (a run's bookkeeping), and ``decisions`` (confirm a first run,
approve or reject a paused one). Groups: ``group_scope`` (which groups come
in), ``group_reading``, ``group_planning`` and ``group_applying`` (a run's
groups, applied after its people in the same transaction).
"""

from provisioning.idp.errors import SourceProblem, SyncInProgress
from provisioning.idp.services.applying import sync_actor
from provisioning.idp.services.connection import (
    ConnectionResult,
    refresh_departments,
    test_connection,
)
from provisioning.idp.services.decisions import (
    approve_run,
    confirm_first_run,
    deactivations_of,
    reject_run,
)
from provisioning.idp.services.group_scope import choose_groups, provider_groups
from provisioning.idp.services.schedules import TASK_NAME, schedule_source
from provisioning.idp.services.sources import (
    ADD,
    MANAGE,
    Actorish,
    connect_source,
    default_mapping,
    delete_source,
    mapping_for,
    source_config,
    update_source,
)
from provisioning.idp.services.sync import run_sync

__all__ = [
    "ADD",
    "MANAGE",
    "TASK_NAME",
    "Actorish",
    "ConnectionResult",
    "SourceProblem",
    "SyncInProgress",
    "approve_run",
    "choose_groups",
    "confirm_first_run",
    "connect_source",
    "deactivations_of",
    "default_mapping",
    "delete_source",
    "mapping_for",
    "provider_groups",
    "refresh_departments",
    "reject_run",
    "run_sync",
    "schedule_source",
    "source_config",
    "sync_actor",
    "test_connection",
    "update_source",
]
