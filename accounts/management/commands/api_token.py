"""Issue, revoke and list the API tokens scripts use to call /api/."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import api_tokens
from accounts.actors import CLI
from accounts.exceptions import DomainError
from accounts.models import ApiToken
from accounts.selectors import find_person_by_email


class Command(BaseCommand):
    help = (
        "Issue (create) or revoke an API token acting as a person, with their role, "
        "or list tokens. The token is printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token and print it once.")
        create.add_argument("email", help="The person the token acts as.")
        create.add_argument("name", help="What uses the token, e.g. 'HR sync script'.")
        create.add_argument("--json", action="store_true", help="Print one JSON object.")
        revoke = sub.add_parser("revoke", help="Revoke a person's token by name.")
        revoke.add_argument("email")
        revoke.add_argument("name")
        listing = sub.add_parser("list", help="List tokens (never the secrets).")
        listing.add_argument("email", nargs="?", help="Only this person's tokens.")
        listing.add_argument("--json", action="store_true", help="Print one JSON array.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _person(self, email: str) -> Any:
        person = find_person_by_email(email)
        if person is None:
            raise CommandError(f"No person with the email {email}.")
        return person

    def _create(self, options: dict[str, Any]) -> None:
        person = self._person(options["email"])
        issued = api_tokens.issue_api_token(person, name=options["name"], by=CLI)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": issued.api_token.pk,
                        "email": person.email,
                        "name": issued.api_token.name,
                        "prefix": issued.api_token.prefix,
                        "token": issued.token,
                    }
                )
            )
            return
        self.stdout.write(
            f"API token {issued.api_token.name} for {person.email} issued. "
            "Its value (shown once; Roster keeps only its hash):"
        )
        self.stdout.write(issued.token)

    def _revoke(self, options: dict[str, Any]) -> None:
        person = self._person(options["email"])
        api_token = api_tokens.find_live_token(person, options["name"].strip())
        if api_token is None:
            raise CommandError(f"{person.email} has no live token named {options['name']}.")
        api_tokens.revoke_api_token(api_token, by=CLI)
        self.stdout.write(f"API token {api_token.name} of {person.email} revoked.")

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("person").order_by("person__email", "name")
        if options["email"]:
            tokens = tokens.filter(person=self._person(options["email"]))
        rows = [
            {
                "email": t.person.email,
                "name": t.name,
                "prefix": t.prefix,
                "revoked": t.is_revoked,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in tokens
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            state = "revoked" if row["revoked"] else "active"
            self.stdout.write(
                f"{row['email']}\t{row['name']}\t{row['prefix']}…\t{state}\t"
                f"last used {row['last_used_at'] or 'never'}"
            )
