"""Invite people by email, now or at a given time, with an optional message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from accounts.invitations import invite_people
from accounts.management.commands._base import RosterCommand, label, people_by_email


def parse_when(text: str) -> datetime:
    """Parse ISO 8601; a time without an offset is read in the portal's time zone."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--at: “{text}” is not an ISO 8601 date and time.") from exc
    return timezone.make_aware(when) if timezone.is_naive(when) else when


class Command(RosterCommand):
    help = (
        "Invite the people with these emails. People awaiting invitation become "
        "Invited; Invited people get a new link that replaces the earlier ones; "
        "active and deactivated people are skipped. An unknown email changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("emails", nargs="+", metavar="EMAIL", help="Email (any case).")
        parser.add_argument(
            "--at",
            metavar="ISO-8601",
            help="Send at this date and time (e.g. 2026-12-01T09:00+01:00) instead of now.",
        )
        parser.add_argument("--message", default="", help="A personal message for the email.")
        super().add_arguments(parser)

    def run(self, **options: Any) -> Any:
        by = self.actor(options)
        send_at = parse_when(options["at"]) if options["at"] else None
        people = people_by_email(options["emails"])
        result = invite_people(people, by=by, send_at=send_at, message=options["message"])
        skipped = {p.pk for p, _ in result.skipped}
        invited = [p for p in people if p.pk not in skipped]
        when = timezone.localtime(send_at).isoformat() if send_at else "now"
        for person in invited:
            self.say(options, f"Invited: {label(person)} (sending {when})", self.style.SUCCESS)
        for person, reason in result.skipped:
            self.say(options, f"Skipped: {label(person)}: {reason}", self.style.WARNING)
        self.say(options, f"Invited {len(invited)}, skipped {len(result.skipped)}.")
        by_person = {inv.person_id: inv for inv in result.invitations}
        return {
            "invited": [
                {
                    "id": p.pk,
                    "email": p.email,
                    "invitation": by_person[p.pk].pk,
                    "send_at": timezone.localtime(by_person[p.pk].send_at).isoformat(),
                }
                for p in invited
            ],
            "skipped": [
                {"id": p.pk, "email": p.email, "reason": reason} for p, reason in result.skipped
            ],
        }
