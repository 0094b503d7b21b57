"""Load a demo organisation to try Roster with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from accounts.demo import DEMO_DATA, DEMO_DOMAIN, seed_demo_people
from accounts.management.commands._base import RosterCommand


class Command(RosterCommand):
    help = (
        "Create a demo organisation: a CEO, department leaders and teams several levels "
        "deep, with departments, locations, job titles, phone numbers and a mix of statuses "
        f"and sources, all with emails under --domain (default {DEMO_DOMAIN}). If anyone "
        "already has an email under that domain, nothing is added; use another --domain to "
        "add a second organisation. Written in bulk, so 100,000 people are practical."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--people", type=int, default=200, help="How many people (default 200)."
        )
        parser.add_argument("--domain", default=DEMO_DOMAIN, help="Email domain of demo people.")
        parser.add_argument("--seed", type=int, help="Random seed, for the same people each time.")
        super().add_arguments(parser)

    def actor(self, options: dict[str, Any]) -> Any:
        return super().actor(options) if options.get("as_email") else DEMO_DATA

    def run(self, **options: Any) -> Any:
        result = seed_demo_people(
            options["people"],
            by=self.actor(options),
            domain=options["domain"],
            seed=options["seed"],
        )
        if result.created:
            self.say(
                options,
                f"Created {result.created} demo people under @{result.domain}.",
                self.style.SUCCESS,
            )
        else:
            self.say(
                options,
                f"Demo data exists already ({result.existing} people under @{result.domain}); "
                "nothing was added.",
            )
        return {"created": result.created, "existing": result.existing, "domain": result.domain}
