"""Manage SCIM targets: add, list, change, enable, test, pause, resume, remove."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts.management.commands._base import RosterCommand
from provisioning.scim import schedules, selectors, services
from provisioning.scim.group_batch import effective_batch
from provisioning.scim.models import ScimTarget


def describe(target: ScimTarget) -> dict[str, Any]:
    counts = selectors.count_link_states(target)
    return {
        "id": target.pk,
        "name": target.name,
        "url": target.base_url,
        "enabled": target.is_enabled,
        "state": target.state,
        "reason": target.state_reason,
        "rate_limit": target.rate_limit,
        "deactivation": target.deactivation,
        "full_sync": schedules.describe(target),
        "members_per_request": effective_batch(target),
        **counts,
    }


class Command(RosterCommand):
    help = "Add, list, change, enable, test, pause, resume or remove SCIM targets."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="Add a target (enabled at once unless --disabled).")
        add.add_argument("name")
        add.add_argument("--url", required=True, help="Base URL, e.g. https://host/scim/v2")
        add.add_argument("--token", default="", help="Bearer token (stored encrypted).")
        add.add_argument("--rate-limit", type=float, default=20.0, help="Requests per second.")
        add.add_argument("--deactivation", choices=["patch", "delete"], default="patch")
        add.add_argument("--department", action="append", default=[], help="Scope filter.")
        add.add_argument("--location", action="append", default=[], help="Scope filter.")
        add.add_argument("--status", action="append", default=[], help="Scope filter.")
        add.add_argument("--disabled", action="store_true", help="Do not start syncing yet.")
        sub.add_parser("list", help="List targets with their state and people counts.")
        change = sub.add_parser(
            "change",
            help="Change a target's URL, token or rate limit. A URL on another host "
            "needs the token again (--token).",
        )
        change.add_argument("name")
        change.add_argument("--url", help="New base URL.")
        change.add_argument("--token", default="", help="New bearer token (stored encrypted).")
        change.add_argument("--rate-limit", type=float, help="Requests per second.")
        for verb in ("enable", "test", "pause", "resume", "remove"):
            p = sub.add_parser(verb)
            p.add_argument("name")
            if verb == "pause":
                p.add_argument("--reason", default="")
        for action in sub.choices.values():
            action.add_argument(
                "--json", action="store_true", dest="json", default=argparse.SUPPRESS
            )

    def _target(self, name: str) -> ScimTarget:
        target = selectors.find_target(name)
        if target is None:
            raise CommandError(f"No SCIM target is named {name}.")
        return target

    def run(self, **options: Any) -> Any:
        by = self.actor(options)
        verb = options["verb"]
        if verb == "list":
            rows = [describe(t) for t in selectors.list_targets()]
            for r in rows:
                self.say(
                    options,
                    f"{r['name']}  {r['url']}  {'enabled' if r['enabled'] else 'disabled'}  "
                    f"{r['state']}  in sync {r['in_sync']}, pending {r['pending']}, "
                    f"failed {r['failed']}" + (f"  ({r['reason']})" if r["reason"] else ""),
                )
            return rows
        if verb == "add":
            target = services.create_target(
                name=options["name"],
                base_url=options["url"],
                token=options["token"],
                rate_limit=options["rate_limit"],
                deactivation=options["deactivation"],
                scope_departments=options["department"],
                scope_locations=options["location"],
                scope_statuses=options["status"],
                by=by,
            )
            if not options["disabled"]:
                services.enable_target(target, by=by)
                target.refresh_from_db()
            self.say(options, f"Added {target.name}.", self.style.SUCCESS)
            return describe(target)
        target = self._target(options["name"])
        if verb == "remove":
            result = describe(target)
            services.delete_target(target, by=by)
            self.say(options, f"Removed {result['name']}.", self.style.SUCCESS)
            return result
        if verb == "change":
            changes: dict[str, Any] = {}
            if options["url"] is not None:
                changes["base_url"] = options["url"]
            if options["rate_limit"] is not None:
                changes["rate_limit"] = options["rate_limit"]
            target = services.update_target(target, by=by, token=options["token"], **changes)
            self.say(options, f"Changed {target.name}.", self.style.SUCCESS)
            return describe(target)
        if verb == "test":
            caps = services.test_connection(target, by=by)
            self.say(
                options,
                f"{target.name}: PATCH {caps.patch}, filter {caps.filter}, Bulk {caps.bulk} "
                f"({caps.bulk_max_operations} operations), ETag {caps.etag}.",
            )
            return caps.to_dict()
        if verb == "enable":
            services.enable_target(target, by=by)
        elif verb == "pause":
            services.pause_target(target, by=by, reason=options["reason"])
        elif verb == "resume":
            services.resume_target(target, by=by)
        target.refresh_from_db()
        self.say(options, f"{target.name}: {target.get_state_display()}.", self.style.SUCCESS)
        return describe(target)
