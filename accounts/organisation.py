"""The organisation's settings: read by emails, claim pages, reminders and phone parsing.

``current_organisation()`` returns what is in force: the saved row's values,
or, until an administrator saves the Organisation page, the environment's
(``ROSTER_ORGANISATION_NAME``, ``TIME_ZONE``, ``ROSTER_PHONE_REGION``,
``ROSTER_INVITE_EXPIRY_DAYS``, ``ROSTER_REMINDER_DAYS``). The row is cached
for ``CACHE_SECONDS`` so that a 100,000-row import does not read it per
phone number; saving clears this process's copy at once, others within
that time. ``accounts.services.update_organisation`` is the one write.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.core.cache import cache

if TYPE_CHECKING:
    from accounts.models import Organisation

CACHE_KEY = "roster:organisation:v1"
CACHE_SECONDS = 30
_NO_ROW = "none"


@dataclass(frozen=True)
class OrganisationSettings:
    """The organisation's settings in force (saved, or the environment's defaults)."""

    name: str
    time_zone: str
    phone_region: str
    invite_expiry_days: int
    reminder_days: tuple[int, ...]
    logo_data_uri: str = ""
    is_saved: bool = False

    @property
    def reminder_days_text(self) -> str:
        return ",".join(str(day) for day in self.reminder_days)


def parse_reminder_days(raw: str) -> tuple[int, ...]:
    """Return the days in ``raw`` ("3, 5") ascending; raise ValueError on anything else."""
    parts = [part for part in str(raw or "").replace(" ", "").split(",") if part]
    return tuple(sorted({int(part) for part in parts}))


def defaults() -> OrganisationSettings:
    """Return the environment's settings, in force until the page is saved."""
    try:
        reminders = parse_reminder_days(settings.ROSTER_REMINDER_DAYS)
    except ValueError:
        reminders = ()
    return OrganisationSettings(
        name=settings.ORGANISATION_NAME,
        time_zone=settings.TIME_ZONE,
        phone_region=settings.ROSTER_PHONE_REGION,
        invite_expiry_days=int(settings.ROSTER_INVITE_EXPIRY_DAYS),
        reminder_days=reminders,
    )


def _from_row(row: Organisation) -> OrganisationSettings:
    logo = bytes(row.logo or b"")
    uri = f"data:{row.logo_type};base64,{base64.b64encode(logo).decode()}" if logo else ""
    return OrganisationSettings(
        name=row.name,
        time_zone=row.time_zone,
        phone_region=row.phone_region,
        invite_expiry_days=row.invite_expiry_days,
        reminder_days=parse_reminder_days(row.reminder_days),
        logo_data_uri=uri,
        is_saved=True,
    )


def current_organisation() -> OrganisationSettings:
    """Return the organisation's settings in force (one cached read)."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        # Looked up by name: accounts.models imports accounts.phones, which reads this.
        row = apps.get_model("accounts", "Organisation").objects.first()
        cached = _from_row(row) if row is not None else _NO_ROW
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return defaults() if cached == _NO_ROW else cached


def forget_cached_organisation() -> None:
    """Drop this process's cached copy (after a save)."""
    cache.delete(CACHE_KEY)


__all__ = [
    "OrganisationSettings",
    "current_organisation",
    "defaults",
    "forget_cached_organisation",
    "parse_reminder_days",
]
