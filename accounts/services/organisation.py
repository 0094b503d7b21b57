"""The organisation's settings page: the one write, checked and audited."""

from __future__ import annotations

import zoneinfo
from functools import partial
from typing import Any

import phonenumbers
from django.db import transaction

from accounts.exceptions import InvalidPerson
from accounts.models import LifecycleEvent, Organisation
from accounts.models.organisation import LOGO_MAX_BYTES, LOGO_TYPES
from accounts.organisation import defaults, forget_cached_organisation, parse_reminder_days
from accounts.services.events import record_event
from accounts.services.permissions import Actorish, require
from accounts.signals import organisation_changed

MAX_EXPIRY_DAYS = 90


def _logo_type(data: bytes) -> str:
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "Enter the organisation's name."
    elif len(name) > 100:
        errors["name"] = "Use at most 100 characters."
    time_zone = str(values.get("time_zone") or "").strip()
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = f"“{time_zone}” is not a time zone (e.g. Europe/London)."
    region = str(values.get("phone_region") or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        errors["phone_region"] = f"“{region}” is not a country code (e.g. GB, US, FR)."
    expiry = values.get("invite_expiry_days")
    if not isinstance(expiry, int) or not 1 <= expiry <= MAX_EXPIRY_DAYS:
        errors["invite_expiry_days"] = f"Links stay valid for 1 to {MAX_EXPIRY_DAYS} days."
        expiry = None
    try:
        reminders = parse_reminder_days(values.get("reminder_days") or "")
    except ValueError:
        errors["reminder_days"] = "List whole days separated by commas (e.g. 3, 5), or leave empty."
        reminders = ()
    if expiry and any(day < 1 or day >= expiry for day in reminders):
        errors["reminder_days"] = (
            f"Reminders go out between day 1 and day {expiry - 1}, before links expire."
        )
    if errors:
        raise InvalidPerson(errors)
    return {
        "name": name,
        "time_zone": time_zone,
        "phone_region": region,
        "invite_expiry_days": expiry,
        "reminder_days": ",".join(str(day) for day in reminders),
    }


@transaction.atomic
def update_organisation(
    *,
    by: Actorish,
    name: str,
    time_zone: str,
    phone_region: str,
    invite_expiry_days: int,
    reminder_days: str,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Organisation:
    """Save the organisation's settings and audit what changed.

    ``logo`` replaces the logo (PNG, JPEG, GIF or WebP, at most 200 KB);
    ``remove_logo`` drops it. Raises NotAllowed without
    ``accounts.change_organisation`` (System administrators) and
    InvalidPerson, naming each field, for bad values; nothing is saved then.
    """
    require(by, "accounts.change_organisation")
    clean = _clean(
        {
            "name": name,
            "time_zone": time_zone,
            "phone_region": phone_region,
            "invite_expiry_days": invite_expiry_days,
            "reminder_days": reminder_days,
        }
    )
    logo_type = ""
    if logo:
        if len(logo) > LOGO_MAX_BYTES:
            raise InvalidPerson({"logo": "The logo may be at most 200 KB."})
        logo_type = _logo_type(logo)
        if not logo_type:
            raise InvalidPerson({"logo": "Upload a PNG, JPEG, GIF or WebP image."})
    row = Organisation.objects.select_for_update().first()
    before = _snapshot(row) if row is not None else _snapshot_defaults()
    if row is None:
        row = Organisation(**clean)
    else:
        for field, value in clean.items():
            setattr(row, field, value)
    if logo:
        row.logo, row.logo_type = logo, logo_type
    elif remove_logo:
        row.logo, row.logo_type = b"", ""
    row.save()
    after = _snapshot(row)
    changes: dict[str, Any] = {
        field: [before[field], value] for field, value in after.items() if before[field] != value
    }
    if logo:
        changes["logo"] = "changed" if before["logo"] else "set"
    elif "logo" in changes:
        changes["logo"] = "removed"
    if changes:
        record_event(
            None,
            LifecycleEvent.Action.UPDATED,
            by=by,
            changes=changes,
            subject=f"{LifecycleEvent.SubjectKind.ORGANISATION.label} {row.name}"[:300],
            subject_kind=LifecycleEvent.SubjectKind.ORGANISATION,
        )
    transaction.on_commit(forget_cached_organisation)
    forget_cached_organisation()
    if changes:
        transaction.on_commit(
            partial(organisation_changed.send, sender=Organisation, fields=sorted(changes))
        )
    return row


def _snapshot(row: Organisation) -> dict[str, Any]:
    return {
        "name": row.name,
        "time_zone": row.time_zone,
        "phone_region": row.phone_region,
        "invite_expiry_days": row.invite_expiry_days,
        "reminder_days": row.reminder_days,
        "logo": "yes" if row.logo else "",
    }


def _snapshot_defaults() -> dict[str, Any]:
    current = defaults()
    return {
        "name": current.name,
        "time_zone": current.time_zone,
        "phone_region": current.phone_region,
        "invite_expiry_days": current.invite_expiry_days,
        "reminder_days": current.reminder_days_text,
        "logo": "",
    }


__all__ = ["MAX_EXPIRY_DAYS", "update_organisation"]
