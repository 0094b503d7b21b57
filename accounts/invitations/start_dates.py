"""Inviting people on their start date: each person's invitation is scheduled
for 09:00 (the organisation's time zone, from its settings) on their start date, or a given
number of days before it, and sent by the usual dispatcher."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.exceptions import InvalidPerson
from accounts.invitations.invites import InviteResult, ids_of, invite_people
from accounts.models import Person
from accounts.organisation import current_organisation
from accounts.services import Actorish, require

# The hour of the start day (or of the day N days before) invitations go out.
SEND_HOUR = time(9, 0)
MAX_DAYS_BEFORE = 90


def start_date_send_time(start: date, *, days_before: int = 0) -> datetime:
    """Return 09:00 in the organisation's time zone, ``days_before`` days before ``start``."""
    day = start - timedelta(days=days_before)
    zone = ZoneInfo(current_organisation().time_zone)
    return timezone.make_aware(datetime.combine(day, SEND_HOUR), zone)


def invite_on_start_dates(
    people: Iterable[Person | int] | QuerySet[Person],
    *,
    by: Actorish,
    days_before: int = 0,
    message: str = "",
) -> InviteResult:
    """Invite each person at 09:00 on their start date (or ``days_before`` days
    earlier), in one transaction.

    A send time already past sends at once. People without a start date are
    skipped with the reason, as are those ``invite_people`` skips (active or
    deactivated). Raises NotAllowed or InvalidPerson before changing anything.
    """
    require(by, "accounts.add_invitation")
    if not 0 <= days_before <= MAX_DAYS_BEFORE:
        raise InvalidPerson(
            {"days_before": f"Choose between 0 and {MAX_DAYS_BEFORE} days before the start date."}
        )
    now = timezone.now()
    ids = ids_of(people)
    result = InviteResult()
    groups: dict[datetime | None, list[int]] = {}
    with transaction.atomic():
        rows = Person.objects.filter(pk__in=ids).order_by("pk").only("pk", "start_date", "email")
        for person in rows:
            if person.start_date is None:
                result.skipped.append((person, f"{person} has no start date."))
                continue
            when: datetime | None = start_date_send_time(person.start_date, days_before=days_before)
            groups.setdefault(when if when and when > now else None, []).append(person.pk)
        for when, group in sorted(groups.items(), key=lambda item: item[0] or now):
            part = invite_people(group, by=by, send_at=when, message=message)
            result.invited += part.invited
            result.resent += part.resent
            result.skipped += part.skipped
            result.invitations += part.invitations
    return result
