"""The admin index: people by status and recent additions by source."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    from accounts import selectors

    context.update(selectors.dashboard_figures())
    return context
