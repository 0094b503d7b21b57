"""The small HTML tables admin panels and reports are drawn with."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join


def table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    """Return an escaped HTML table of ``rows`` under ``headers``, or "None." without rows."""
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
