"""Reactivate deactivated people by email."""

from __future__ import annotations

from typing import Any

from accounts import services
from accounts.actors import Actor
from accounts.management.commands._base import BulkPeopleCommand
from accounts.models import Person
from accounts.services import BulkResult


class Command(BulkPeopleCommand):
    help = (
        "Reactivate the deactivated people with these emails: Active if they had claimed "
        "their account, otherwise Awaiting invitation. Others are skipped and reported."
    )
    verb = "Reactivated"

    def apply(self, people: list[Person], *, by: Person | Actor, **options: Any) -> BulkResult:
        return services.reactivate_people(people, by=by)
