"""Issue, revoke and list SCIM clients from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import CLI
from accounts.exceptions import DomainError
from provisioning.scim_server import services
from provisioning.scim_server.models import ScimClient


class Command(BaseCommand):
    help = "Issue (create), revoke or list the SCIM clients that may call /scim/v2/."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a client and print its token once.")
        create.add_argument("name")
        create.add_argument("--auto-invite", action="store_true", help="Invite new people.")
        create.add_argument("--json", action="store_true", help="Print one JSON object.")
        revoke = sub.add_parser("revoke", help="Revoke a client's token.")
        revoke.add_argument("name")
        listing = sub.add_parser("list", help="List clients.")
        listing.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        issued = services.issue_client(options["name"], by=CLI, auto_invite=options["auto_invite"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "name": issued.client.name,
                        "token": issued.token,
                        "token_prefix": issued.client.token_prefix,
                        "auto_invite": issued.client.auto_invite,
                    }
                )
            )
            return
        self.stdout.write(f"SCIM client {issued.client.name} issued. Its token (shown once):")
        self.stdout.write(issued.token)

    def _revoke(self, options: dict[str, Any]) -> None:
        client = ScimClient.objects.filter(name__iexact=options["name"]).first()
        if client is None:
            raise CommandError(f"No SCIM client named {options['name']}.")
        services.revoke_client(client, by=CLI)
        self.stdout.write(f"SCIM client {client.name} revoked.")

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "name": c.name,
                "token_prefix": c.token_prefix,
                "active": c.is_active,
                "auto_invite": c.auto_invite,
                "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None,
            }
            for c in ScimClient.objects.order_by("name")
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            state = "active" if row["active"] else "revoked"
            self.stdout.write(
                f"{row['name']}\t{row['token_prefix']}…\t{state}\t"
                f"auto-invite={'on' if row['auto_invite'] else 'off'}\t"
                f"last used {row['last_used_at'] or 'never'}"
            )
