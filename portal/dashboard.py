"""The admin index: what needs attention, first steps, people by status, the
invitation funnel, the health of every integration and recent additions."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from portal import attention

# One colour per source, in Person.Source order (Chart.js draws them; no CDN).
SOURCE_COLOURS = ("#6366f1", "#10b981", "#f59e0b", "#3b82f6", "#ec4899", "#64748b")
STATUS_VARIANTS = {
    "staged": "info",
    "invited": "warning",
    "active": "success",
    "deactivated": "danger",
}


# Names of this machine that all reach the same server.
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str) -> tuple[str, int | None]:
    parts = urlsplit(f"{scheme}://{host}")
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    name = (parts.hostname or "").lower()
    return ("localhost" if name in LOOPBACK else name), port


def base_url_mismatch(request: HttpRequest) -> str | None:
    """Return ROSTER_BASE_URL if it names another server than the one serving ``request``.

    Claim links in emails start with that URL: pointing elsewhere, they do
    not reach this portal.
    """
    base_url = settings.ROSTER_BASE_URL
    parts = urlsplit(base_url)
    base = _origin(parts.scheme or "http", parts.netloc)
    here = _origin(request.scheme or "http", request.get_host())
    return None if base == here else base_url


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    from accounts import selectors

    figures = selectors.dashboard_figures()
    context.update(figures)
    people_url = reverse("admin:accounts_person_changelist")
    for card in context["people_by_status"]:
        card["url"] = f"{people_url}?{urlencode({'status__exact': card['status']})}"
        card["variant"] = STATUS_VARIANTS.get(card["status"], "primary")

    days = figures["added_by_source"]
    sources = figures["sources"]
    totals = {value: sum(day["counts"].get(value, 0) for day in days) for value, _ in sources}
    context["added_totals"] = [
        {"label": label, "count": totals[value], "colour": colour}
        for (value, label), colour in zip(sources, SOURCE_COLOURS, strict=False)
    ]
    context["added_total"] = sum(totals.values())
    context["added_chart"] = json.dumps(
        {
            "labels": [day["day"].strftime("%-d %b") for day in days],
            "datasets": [
                {
                    "label": label,
                    "data": [day["counts"].get(value, 0) for day in days],
                    "backgroundColor": colour,
                }
                for (value, label), colour in zip(sources, SOURCE_COLOURS, strict=False)
                if totals[value]
            ],
        }
    )
    context["added_chart_options"] = json.dumps(
        {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "plugins": {"legend": {"display": True, "position": "bottom"}},
            "scales": {
                "x": {"stacked": True, "grid": {}},
                "y": {"stacked": True, "beginAtZero": True, "grid": {}, "ticks": {"precision": 0}},
            },
        }
    )
    context["base_url_mismatch"] = base_url_mismatch(request)
    context["request_origin"] = f"{request.scheme}://{request.get_host()}"
    context["allowed_domains_url"] = reverse("admin:accounts_alloweddomain_changelist")
    context["add_allowed_domain_url"] = reverse("admin:accounts_alloweddomain_add")
    context["can_change_domains"] = request.user.has_perm("accounts.change_alloweddomain")
    if settings.ROSTER_MAIL_TO_FILES and request.user.has_perm("accounts.change_role"):
        context["sent_mail_url"] = reverse("sent-mail")
    context["attention"] = attention.attention_items(request)
    context["first_steps"] = attention.first_steps(request)
    context["integrations"] = attention.integration_rows(request)
    context["funnels"] = attention.funnels()
    return context
