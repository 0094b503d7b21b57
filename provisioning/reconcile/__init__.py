"""Compare external records with what Roster holds and plan every change.

Source-agnostic: spreadsheets and identity-provider connectors hand over
``ExternalRecord`` objects and a ``Snapshot`` of the people Roster holds (one
query, loaded by ``provisioning.imports.selectors.load_snapshot``);
``compute_plan`` works in memory and returns a ``Plan``: one ``PlanRow`` per
record (new, update, unchanged, deactivate, reactivate, skipped, error) plus
deactivations of people missing from a complete list. Nothing here writes.

People are matched by external ID when the record has one, else by email
(case-insensitive). A manager is named by email or by external ID and may be
someone else in the same batch; reporting loops in the resulting graph (the
batch on top of what exists) are errors on the rows that form them.

Modules: ``snapshot`` (what Roster holds, the staff rule), ``plan`` (the
result types and the deactivation guard), ``planner`` (``compute_plan``, which
runs the steps), and one module per step: ``identity``, ``attributes``,
``managers``; ``work`` holds the per-record state the steps share.
"""

from provisioning.reconcile.attributes import TEXT_FIELDS
from provisioning.reconcile.plan import (
    DEFAULT_LABELS,
    Action,
    Plan,
    PlanOptions,
    PlanRow,
    absent_row,
    deactivation_threshold,
)
from provisioning.reconcile.planner import compute_plan
from provisioning.reconcile.snapshot import (
    CLAIMED,
    DEACTIVATED,
    DEPT,
    EMAIL,
    EXT,
    FIRST,
    FULL,
    ID,
    LAST,
    LOCATION,
    MANAGER,
    PHONE,
    ROLE,
    SOURCE,
    STAFF_ROLE_LABELS,
    STATUS,
    TITLE,
    VERSION,
    Snapshot,
    staff_skip_reason,
)

__all__ = [
    "CLAIMED",
    "DEACTIVATED",
    "DEFAULT_LABELS",
    "DEPT",
    "EMAIL",
    "EXT",
    "FIRST",
    "FULL",
    "ID",
    "LAST",
    "LOCATION",
    "MANAGER",
    "PHONE",
    "ROLE",
    "SOURCE",
    "STAFF_ROLE_LABELS",
    "STATUS",
    "TEXT_FIELDS",
    "TITLE",
    "VERSION",
    "Action",
    "Plan",
    "PlanOptions",
    "PlanRow",
    "Snapshot",
    "absent_row",
    "compute_plan",
    "deactivation_threshold",
    "staff_skip_reason",
]
