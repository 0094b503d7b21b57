"""Make sure someone can sign in: create a first System administrator if none exists."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import CommandParser

from accounts import selectors, services
from accounts.actors import CLI
from accounts.management.commands._base import RosterCommand

DEFAULT_EMAIL = "admin@roster.example"


class Command(RosterCommand):
    help = (
        "Create a System administrator with a generated password, printed once, unless an "
        "active one exists already (then print who, never a password). Reset a forgotten "
        "password with: manage.py changepassword EMAIL"
    )
    acts = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--email",
            default=DEFAULT_EMAIL,
            help=f"Email of the administrator to create (default {DEFAULT_EMAIL}).",
        )
        super().add_arguments(parser)

    def run(self, **options: Any) -> Any:
        existing = selectors.find_administrator()
        if existing is not None:
            self.say(options, f"A System administrator exists already: {existing.email}.")
            self.say(
                options,
                f"To set a new password for them, run: manage.py changepassword {existing.email}",
            )
            return {"created": False, "email": existing.email}
        password = secrets.token_urlsafe(12)
        admin = services.create_administrator(email=options["email"], password=password, by=CLI)
        self.say(options, "Created a System administrator.", self.style.SUCCESS)
        self.say(options, f"  Email:    {admin.email}")
        self.say(options, f"  Password: {password}")
        self.say(options, "The password is shown only this once.")
        return {"created": True, "email": admin.email, "password": password}
