"""List people, filtered, as a table or JSON."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts import selectors, services
from accounts.management.commands._base import RosterCommand, person_summary
from accounts.models import Person


class Command(RosterCommand):
    help = "List people by name, with their status, department and manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=Person.Status.values)
        parser.add_argument("--department", help="Exact department name.")
        parser.add_argument("--search", help="Part of a name or email, or an exact external ID.")
        parser.add_argument(
            "--limit", type=int, default=50, help="Show at most this many (default 50)."
        )
        super().add_arguments(parser)

    def run(self, **options: Any) -> Any:
        services.require(self.actor(options), "accounts.view_person")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        people = selectors.list_people(
            status=options["status"],
            department=options["department"],
            search=options["search"],
        )
        total = people.count()
        shown = list(people[: options["limit"]])
        if not options["json"]:
            self._table(shown)
            self.stdout.write(f"Showing {len(shown)} of {total} people.")
        return {"count": total, "people": [person_summary(p) for p in shown]}

    def _table(self, people: list[Person]) -> None:
        header = ("Name", "Email", "Status", "Department", "Job title", "Manager")
        rows = [
            (
                p.display_name,
                p.email,
                p.get_status_display(),
                p.department,
                p.job_title,
                p.manager.email if p.manager else "",
            )
            for p in people
        ]
        if not rows:
            return
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
