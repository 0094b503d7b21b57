"""manage.py export_people: write people to CSV or XLSX with the import template's headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import CLI, Actor
from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.selectors import find_person_by_email, list_people
from provisioning.imports import services


class Command(BaseCommand):
    help = "Export people (optionally filtered) to a CSV or XLSX file that re-imports as-is."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", default=None)
        parser.add_argument("--department", default=None)
        parser.add_argument("--location", default=None)
        parser.add_argument("--source", default=None)
        parser.add_argument("--search", default=None)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("-o", "--output", required=True, metavar="FILE")
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="Act as this staff person, with their role's rights (default: the command "
            "line, with a System administrator's rights).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        person: Person | Actor = CLI
        if options["as_email"]:
            found = find_person_by_email(options["as_email"])
            if found is None:
                raise CommandError(f"--as: no person has the email {options['as_email']}.")
            person = found
        people = list_people(
            status=options["status"],
            department=options["department"],
            location=options["location"],
            source=options["source"],
            search=options["search"],
        )
        try:
            data = services.export_people(people, options["format"], by=person)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        Path(options["output"]).write_bytes(data)
        self.stdout.write(f"Wrote {people.count():,} people to {options['output']}.")
