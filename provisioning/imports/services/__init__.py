"""Spreadsheet imports: upload, preview (plan), confirm, apply, reports, export.

The flow an interface follows::

    job = start_import(upload, by=person, filename="people.xlsx", ...)
    plan_import(job, by=person)                 # parse + plan + store the preview
    confirm_import(job, by=person, confirm_text=...)   # enqueues the apply on commit
    apply_import(job.pk)                        # the Celery task's body

One module per step: ``upload`` (limits, storing and opening the file),
``preview`` (reading and planning), ``confirm``, ``apply`` (claiming and
recording the outcome), ``writes`` (``apply_plan``: the bulk writes and audit
rows), ``bulk`` (COPY helpers), ``housekeeping`` (purging), ``mappings`` (saved column
choices) and ``export``
(template, error report, people export). This module only re-exports them.
"""

from __future__ import annotations

from provisioning.imports.services.apply import apply_import
from provisioning.imports.services.bulk import insert_rows, update_rows
from provisioning.imports.services.confirm import blocking_problems, confirm_import
from provisioning.imports.services.export import (
    EXPORT_CHUNK,
    build_error_report,
    build_template,
    export_people,
    stream_people_csv,
)
from provisioning.imports.services.housekeeping import PLAN_STALL_MINUTES, purge_imports
from provisioning.imports.services.mappings import (
    delete_saved_column_mapping,
    find_saved_column_mapping,
    save_column_mapping,
)
from provisioning.imports.services.preview import (
    _store_plan as _store_plan,  # identity-provider syncs store their plans the same way
)
from provisioning.imports.services.preview import (
    plan_import,
    plan_queued_import,
    queue_import_plan,
)
from provisioning.imports.services.upload import limits, open_import_file, start_import
from provisioning.imports.services.writes import apply_plan, import_actor

__all__ = [
    "EXPORT_CHUNK",
    "PLAN_STALL_MINUTES",
    "apply_import",
    "apply_plan",
    "blocking_problems",
    "build_error_report",
    "build_template",
    "confirm_import",
    "delete_saved_column_mapping",
    "export_people",
    "find_saved_column_mapping",
    "import_actor",
    "insert_rows",
    "limits",
    "open_import_file",
    "plan_import",
    "plan_queued_import",
    "purge_imports",
    "queue_import_plan",
    "save_column_mapping",
    "start_import",
    "stream_people_csv",
    "update_rows",
]
