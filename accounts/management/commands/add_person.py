"""Add one person by hand, awaiting invitation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from accounts import services
from accounts.management.commands._base import (
    RosterCommand,
    label,
    person_by_email,
    person_summary,
)
from accounts.models import Person


class Command(RosterCommand):
    help = (
        "Add a person (source: Manual), awaiting invitation. The full name defaults to "
        "the first and last names; phone numbers without a +country code are read in the "
        "organisation's region."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", metavar="EMAIL")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--external-id", default=None)
        parser.add_argument("--manager", metavar="EMAIL", help="The manager's email.")
        parser.add_argument("--job-title", default="")
        parser.add_argument("--department", default="")
        parser.add_argument("--phone", default="", help="Phone number.")
        parser.add_argument("--location", default="")
        super().add_arguments(parser)

    def run(self, **options: Any) -> Any:
        by = self.actor(options)
        manager = (
            person_by_email(options["manager"], option="--manager") if options["manager"] else None
        )
        person = services.create_person(
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
            full_name=options["full_name"],
            external_id=options["external_id"],
            manager=manager,
            job_title=options["job_title"],
            department=options["department"],
            phone_number=options["phone"],
            location=options["location"],
            source=Person.Source.MANUAL,
            by=by,
        )
        self.say(
            options,
            f"Added {label(person)} (#{person.pk}), {person.get_status_display()}.",
            self.style.SUCCESS,
        )
        return person_summary(person)
