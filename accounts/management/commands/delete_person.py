"""Delete people who never claimed an account, by email."""

from __future__ import annotations

from typing import Any

from accounts import services
from accounts.actors import Actor
from accounts.management.commands._base import BulkPeopleCommand
from accounts.models import Person
from accounts.services import BulkResult


class Command(BulkPeopleCommand):
    help = (
        "Delete the people with these emails. Anyone who has claimed their account is "
        "skipped (deactivate them instead); the audit log keeps a tombstone."
    )
    verb = "Deleted"

    def apply(self, people: list[Person], *, by: Person | Actor, **options: Any) -> BulkResult:
        return services.delete_people(people, by=by)
