"""Sync a SCIM target now, reconcile it, or show what a push would send."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts.management.commands._base import RosterCommand
from provisioning.scim import selectors, services
from provisioning.scim.models import ScimRun

COUNTS = (
    "total",
    "created",
    "updated",
    "adopted",
    "deactivated",
    "deleted",
    "unchanged",
    "failed",
    "requests",
)


def describe(run: ScimRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "kind": run.kind,
        "status": run.status,
        **{name: getattr(run, name) for name in COUNTS},
        "message": run.message,
        "report": run.report,
    }


class Command(RosterCommand):
    help = (
        "Sync a SCIM target now (queued for the workers, or here with --wait), "
        "reconcile it (--reconcile [--fix]) or list the requests a push would send (--dry-run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("target", help="The target's name or id.")
        parser.add_argument("--dry-run", action="store_true", help="Send nothing; show requests.")
        parser.add_argument("--reconcile", action="store_true", help="Report drift.")
        parser.add_argument("--fix", action="store_true", help="With --reconcile: correct it.")
        parser.add_argument("--wait", action="store_true", help="Run here and wait for the end.")

    def run(self, **options: Any) -> Any:
        by = self.actor(options)
        target = selectors.find_target(options["target"])
        if target is None:
            raise CommandError(f"No SCIM target is named {options['target']}.")
        if options["dry_run"]:
            run = services.dry_run(target, by=by)
            for r in run.report["requests"]:
                self.say(options, f"{r['method']} {r['path']}  ({r['person']})")
            self.say(options, run.message)
            return describe(run)
        if options["reconcile"]:
            if options["wait"]:
                run = services.run_reconcile_now(target, by=by, fix=options["fix"])
            else:
                run = services.start_reconcile(target, by=by, fix=options["fix"])
            self.say(options, run.message or f"Reconcile queued as run {run.pk}.")
            return describe(run)
        if options["wait"]:
            run = services.run_sync_now(target, by=by)
            self.say(
                options,
                f"{run.get_status_display()}: {run.created} created, {run.updated} updated, "
                f"{run.adopted} adopted, {run.deactivated} deactivated, {run.deleted} deleted, "
                f"{run.failed} failed, {run.requests} requests."
                + (f" {run.message}" if run.message else ""),
            )
            return describe(run)
        run = services.start_sync(target, by=by)
        self.say(options, f"Sync queued as run {run.pk}.")
        return describe(run)
