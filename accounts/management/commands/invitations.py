"""List invitations that are still open, or only those due to be sent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from accounts.invitations import list_invitations
from accounts.management.commands._base import RosterCommand


def _iso(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


class Command(RosterCommand):
    help = (
        "List pending invitations (scheduled or sent, not yet claimed) with their "
        "send, expiry and delivery state. --due lists only those whose send time "
        "has come but whose email is not queued yet."
    )
    acts = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--due", action="store_true", help="Only invitations due but not yet queued."
        )
        super().add_arguments(parser)

    def run(self, **options: Any) -> Any:
        rows = [
            {
                "id": inv.pk,
                "email": inv.person.email,
                "status": inv.status,
                "send_at": _iso(inv.send_at),
                "sent_at": _iso(inv.sent_at),
                "expires_at": _iso(inv.expires_at),
                "reminders_sent": inv.reminders_sent,
                "delivery_status": inv.delivery_status,
                "delivery_error": inv.delivery_error,
            }
            for inv in list_invitations(due=options["due"], pending=True)
        ]
        for row in rows:
            delivery = row["delivery_status"] or "not queued"
            self.say(
                options,
                f"{row['email']}  {row['status']}  send {row['send_at']}  "
                f"expires {row['expires_at'] or '-'}  email {delivery}"
                + (f" ({row['delivery_error']})" if row["delivery_error"] else ""),
            )
        self.say(options, f"{len(rows)} invitation{'s' if len(rows) != 1 else ''}.")
        return rows
