"""Template context every page gets: the organisation's settings in force."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.organisation import current_organisation


def organisation(request: HttpRequest) -> dict[str, Any]:
    """Give templates ``organisation_settings`` (name, logo) for headers and claim pages."""
    return {"organisation_settings": current_organisation()}
