"""What Roster's management commands share: --json, --as, domain errors as messages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors
from accounts.actors import CLI, Actor
from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.services import BulkResult


class RosterCommand(BaseCommand):
    """A command printing either lines for people or one JSON document (``--json``)."""

    acts = True

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="json",
            help="Print one JSON document on standard output instead of text.",
        )
        if self.acts:
            parser.add_argument(
                "--as",
                dest="as_email",
                metavar="EMAIL",
                help=(
                    "Act as this staff person, with their role's rights. Without it, the "
                    "command acts as the command line, with a System administrator's rights."
                ),
            )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.run(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))

    def run(self, **options: Any) -> Any:
        """Do the work; print text unless ``--json``; return what ``--json`` prints."""
        raise NotImplementedError

    def say(self, options: dict[str, Any], text: str, style: Any = None) -> None:
        if not options["json"]:
            self.stdout.write(style(text) if style else text)

    def actor(self, options: dict[str, Any]) -> Person | Actor:
        email = options.get("as_email")
        if not email:
            return CLI
        return person_by_email(email, option="--as")


def person_by_email(email: str, *, option: str = "") -> Person:
    """Return the person with ``email`` (any case) or raise CommandError."""
    person = selectors.find_person_by_email(email)
    if person is None:
        prefix = f"{option}: no" if option else "No"
        raise CommandError(f"{prefix} person has the email {email.strip()}.")
    return person


def people_by_email(emails: Iterable[str]) -> list[Person]:
    """Return the people with these emails, once each, in order; unknown emails fail first."""
    people: dict[int, Person] = {}
    unknown = []
    for email in emails:
        person = selectors.find_person_by_email(email)
        if person is None:
            unknown.append(email.strip())
        else:
            people.setdefault(person.pk, person)
    if unknown:
        listed = ", ".join(unknown)
        noun = "email" if len(unknown) == 1 else "emails"
        raise CommandError(f"No person has the {noun} {listed}. Nothing was changed.")
    return list(people.values())


def person_summary(person: Person) -> dict[str, Any]:
    """Return the JSON form of a person the commands print."""
    return {
        "id": person.pk,
        "email": person.email,
        "full_name": person.full_name,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "external_id": person.external_id,
        "manager": person.manager.email if person.manager_id and person.manager else None,
        "job_title": person.job_title,
        "department": person.department,
        "phone_number": person.phone_number,
        "location": person.location,
        "status": person.status,
        "source": person.source,
    }


def label(person: Person) -> str:
    return f"{person.display_name} <{person.email}>" if person.full_name else person.email


class BulkPeopleCommand(RosterCommand):
    """Apply one bulk lifecycle service to people named by email."""

    verb = ""  # "Deactivated"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("emails", nargs="+", metavar="EMAIL", help="Email (any case).")
        super().add_arguments(parser)

    def apply(self, people: list[Person], *, by: Person | Actor, **options: Any) -> BulkResult:
        raise NotImplementedError

    def run(self, **options: Any) -> Any:
        by = self.actor(options)
        people = people_by_email(options["emails"])
        # Captured first: a deleted person's row is gone afterwards.
        described = {p.pk: {"id": p.pk, "email": p.email, "name": label(p)} for p in people}
        result = self.apply(people, by=by, **options)
        done = [described[p.pk] for p in result.done]
        skipped = [{**described[p.pk], "reason": why} for p, why in result.skipped]
        for item in done:
            self.say(options, f"{self.verb}: {item['name']}", self.style.SUCCESS)
        for item in skipped:
            self.say(options, f"Skipped: {item['name']}: {item['reason']}", self.style.WARNING)
        self.say(options, f"{self.verb} {len(done)}, skipped {len(skipped)}.")
        return {
            "done": [{"id": i["id"], "email": i["email"]} for i in done],
            "skipped": [
                {"id": i["id"], "email": i["email"], "reason": i["reason"]} for i in skipped
            ],
        }
