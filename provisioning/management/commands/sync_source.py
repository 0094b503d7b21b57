"""manage.py sync_source NAME [--dry-run] [--json]: sync one identity-provider source now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import CLI
from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.selectors import find_person_by_email
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SyncRun


class Command(BaseCommand):
    help = (
        "Sync an identity-provider source now: read the directory, plan, and apply unless "
        "--dry-run (a first run only previews; a run deactivating too many people pauses "
        "for approval). Exits 1 if the run failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The source's name as shown in the admin.")
        parser.add_argument("--dry-run", action="store_true", help="Plan only; change nothing.")
        parser.add_argument("--full", action="store_true", help="Read everything, not changes.")
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="Act as this staff person, with their role's rights (default: the command "
            "line, with a System administrator's rights).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = IdentitySource.objects.filter(name__iexact=options["name"]).first()
        if source is None:
            raise CommandError(f"No identity-provider source is named “{options['name']}”.")
        by: Any = CLI
        if options.get("as_email"):
            by = find_person_by_email(options["as_email"])
            if not isinstance(by, Person):
                raise CommandError(f"No one has the email {options['as_email']}.")
        try:
            run = idp_services.run_sync(
                source,
                by=by,
                dry_run=options["dry_run"],
                trigger=SyncRun.Trigger.CLI,
                full=options["full"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        result = {
            "source": source.name,
            "run": run.pk,
            "status": run.status,
            "incremental": run.is_incremental,
            "counts": run.counts,
            "deactivation_threshold": run.deactivation_threshold,
            "duration_s": run.duration,
            "errors": run.errors,
            "conflicts": run.conflicts,
            "linked": run.linked,
            "error": run.error_message,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self.stdout.write(f"{source.name}: {run.get_status_display()}")
            for key, value in run.counts.items():
                self.stdout.write(f"  {key.replace('_', ' ')}: {value:,}")
            for conflict in run.conflicts[:20]:
                self.stdout.write(
                    f"  conflict: {conflict['email']} belongs to {conflict['source']}"
                )
            if run.error_message:
                self.stderr.write(run.error_message)
        if run.status == SyncRun.Status.FAILED:
            raise SystemExit(1)
