"""Deactivate people by email: ends their sessions and removes them downstream."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from accounts import services
from accounts.actors import Actor
from accounts.management.commands._base import BulkPeopleCommand
from accounts.models import Person
from accounts.services import BulkResult


class Command(BulkPeopleCommand):
    help = (
        "Deactivate the people with these emails. People already deactivated are "
        "skipped and reported; an unknown email changes nothing."
    )
    verb = "Deactivated"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reason", default="", help="Why, kept in the audit log.")

    def apply(self, people: list[Person], *, by: Person | Actor, **options: Any) -> BulkResult:
        return services.deactivate_people(people, by=by, reason=options["reason"])
