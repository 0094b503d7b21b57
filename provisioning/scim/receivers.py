"""The receivers of accounts' events (connected in AppConfig.ready)."""

from __future__ import annotations

from typing import Any

from provisioning.scim import schedules, services


def on_person_changed(sender: Any, *, person_ids: list[int], action: str, **kwargs: Any) -> None:
    """Enqueue a SCIM push for the changed people (sent after commit; never raises)."""
    services.notify_people_changed(person_ids)


def on_groups_changed(sender: Any, *, group_ids: list[int], action: str, **kwargs: Any) -> None:
    """Enqueue a SCIM push of the changed groups (sent after commit; never raises)."""
    services.notify_groups_changed(group_ids)


def on_organisation_changed(sender: Any, *, fields: list[str], **kwargs: Any) -> None:
    """Move the full-sync schedules to the organisation's new time zone."""
    if "time_zone" in fields:
        schedules.reschedule_all()
