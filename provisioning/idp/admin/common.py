"""What the source and run admin pages share: the confirmation page, the HTML
tables they show, and the person acting."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.models import Person

# How many rows of each list a page shows.
SHOWN = 20
TEMPLATE = "admin/provisioning/identitysource/confirm.html"


def acting_person(request: HttpRequest) -> Person:
    """The signed-in person (the admin site lets only staff people in)."""
    if not isinstance(request.user, Person):
        raise PermissionDenied
    return request.user


def table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return format_html("<p>{}</p>", "None.")
    head = format_html_join("", "<th class='px-2 text-left'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td class='px-2 align-top'>{}</td>", ((c,) for c in row)),)
            for row in rows
        ),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


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
            f"{run.count_errors} errors",
        )
        for run in runs
    ]
    return table(["Run", "Status", "Trigger", "Read", "Started", "Took", "Counts"], rows)
