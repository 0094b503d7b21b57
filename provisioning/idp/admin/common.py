"""What the source and run admin pages share: the confirmation page and the runs table."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_tables import table

# How many rows of each list a page shows.
SHOWN = 20
TEMPLATE = "admin/provisioning/identitysource/confirm.html"


def runs_table(runs: Any) -> str:
    rows = [
        (
            format_html(
                '<a href="{}">#{}</a>',
                reverse("admin:provisioning_syncrun_change", args=[run.pk]),
                run.pk,
            ),
            run.get_status_display(),
            run.get_trigger_display(),
            "changes" if run.is_incremental else "full",
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{run.duration:.1f} s" if run.duration is not None else "-",
            f"{run.count_new} new, {run.count_updated} updated, {run.count_deactivated} "
            f"deactivated, {run.count_reactivated} reactivated, {run.count_skipped} staff skipped, "
            f"{run.count_errors} errors"
            + (
                f"; groups: {run.count_groups_new} new, {run.count_groups_renamed} renamed, "
                f"{run.count_groups_deleted} deleted, +{run.count_group_joins} "
                f"-{run.count_group_leaves} members"
                if run.group_changes
                else ""
            ),
        )
        for run in runs
    ]
    return table(["Run", "Status", "Trigger", "Read", "Started", "Took", "Counts"], rows)
