"""manage.py import_people FILE: preview a spreadsheet of people, then apply it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import CLI, Actor
from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.selectors import find_person_by_email
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action

SHOWN_ROWS = 20


class Command(BaseCommand):
    help = (
        "Import people from a CSV, XLSX or ODS file: print the preview (counts, errors, "
        "changes) and apply it unless --dry-run. Exits 1 when nothing was applied because "
        "of errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV, XLSX or ODS file")
        parser.add_argument("--dry-run", action="store_true", help="Preview only.")
        parser.add_argument(
            "--complete-list",
            action="store_true",
            help="The file lists everyone: deactivate spreadsheet people missing from it "
            "(System administrators only).",
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import valid rows, skip invalid ones."
        )
        parser.add_argument(
            "--remove-from-groups",
            action="store_true",
            help="With a Groups column: also remove people from spreadsheet-made groups "
            "their row no longer lists.",
        )
        parser.add_argument("--sheet", default="", help="Sheet to read (default: the first).")
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="Act as this staff person, with their role's rights. Without it, the "
            "command acts as the command line, with a System administrator's rights.",
        )
        parser.add_argument(
            "--confirm",
            default="",
            metavar="TEXT",
            help="Typed confirmation, e.g. 'DEACTIVATE 60'.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=ATTRIBUTE",
            help="Read a column as an attribute (e.g. 'Work mail=email').",
        )
        parser.add_argument(
            "--ignore-column",
            action="append",
            default=[],
            metavar="HEADER",
            help="Ignore a column.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args: Any, **options: Any) -> None:
        person: Person | Actor = CLI
        if options["as_email"]:
            found = find_person_by_email(options["as_email"])
            if found is None:
                raise CommandError(f"--as: no person has the email {options['as_email']}.")
            person = found
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        mapping: dict[str, str | None] = {}
        for item in options["map"]:
            header, sep, attribute = item.partition("=")
            if not sep:
                raise CommandError(f"--map needs HEADER=ATTRIBUTE, not “{item}”.")
            mapping[header.strip()] = attribute.strip()
        for header in options["ignore_column"]:
            mapping[header.strip()] = None
        result: dict[str, Any] = {"file": str(path), "applied": False}
        try:
            with path.open("rb") as stream:
                job = services.start_import(
                    stream,
                    by=person,
                    filename=path.name,
                    complete_list=options["complete_list"],
                    skip_invalid=options["skip_invalid"],
                    remove_from_groups=options["remove_from_groups"],
                    sheet=options["sheet"],
                    mapping=mapping,
                )
            result["import_id"] = job.pk
            services.plan_import(job, by=person)
        except DomainError as exc:
            self._finish(result, options, error=exc.message)
            return
        job.refresh_from_db()
        result.update(_describe(job))
        problems = services.blocking_problems(job)
        if options["dry_run"]:
            result["problems"] = problems
            self._finish(result, options, failed=bool(problems))
            return
        if problems:
            self._finish(result, options, error=" ".join(problems))
            return
        try:
            services.confirm_import(job, by=person, confirm_text=options["confirm"], enqueue=False)
        except DomainError as exc:
            self._finish(result, options, error=exc.message)
            return
        job = services.apply_import(job.pk, by=person)
        job.refresh_from_db()
        result["status"] = job.status
        if job.status != ImportJob.Status.DONE:
            self._finish(result, options, error=job.error_message)
            return
        result["applied"] = True
        result["duration_s"] = job.duration
        self._finish(result, options)

    def _finish(
        self, result: dict[str, Any], options: dict[str, Any], *, error: str = "", failed=False
    ) -> None:
        if error:
            result["error"] = error
        if options["json"]:
            self.stdout.write(json.dumps(result, default=str))
        else:
            self._print(result, options)
        if error or failed:
            raise SystemExit(1)

    def _print(self, result: dict[str, Any], options: dict[str, Any]) -> None:
        out = self.stdout.write
        if "counts" in result:
            counts = result["counts"]
            out(
                f"Import #{result['import_id']} of {result['file']}: "
                + ", ".join(f"{counts[k]:,} {k}" for k in counts if k != "skipped" or counts[k])
            )
            for note in result["notes"]:
                out(f"  Note: {note}")
            for column in result["not_imported_columns"]:
                hint = f" (did you mean {column['suggestion']}?)" if column["suggestion"] else ""
                out(f"  Not imported: {column['header']}{hint}")
            for group in result["groups"]:
                what = (
                    "rule-based, not changed"
                    if group["kind"] == "rule"
                    else f"{'new, ' if group['new'] else ''}+{group['joining']:,} "
                    f"-{group['leaving']:,}"
                )
                out(f"  Group {group['name']}: {what}")
            for problem in result["file_errors"]:
                out(f"  File: {problem['column']}: {problem['message']}")
            for item in result["errors"]:
                for e in item["errors"]:
                    out(f"  Row {item['row']}, {e['column']}: {e['message']}")
            if result["more_errors"]:
                out(f"  … and {result['more_errors']:,} more rows with errors")
            for item in result["changes"]:
                detail = "; ".join(
                    f"{name}: {_show(old)} → {_show(new)}"
                    for name, (old, new) in item.get("changes", {}).items()
                )
                where = f"Row {item['row']}" if item["row"] else "Not in file"
                out(f"  {where}: {item['action']} {item['email']} {detail}".rstrip())
        if result.get("error"):
            self.stderr.write(f"Nothing was applied: {result['error']}")
        elif result.get("applied"):
            out(self.style.SUCCESS(f"Applied in {result['duration_s']:.1f} s."))
        elif options["dry_run"]:
            out("Dry run: nothing was changed.")


def _show(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def _describe(job: ImportJob) -> dict[str, Any]:
    errors = selectors.list_import_rows(job, action=Action.ERROR, limit=SHOWN_ROWS)
    error_rows = job.count_errors - len(job.file_errors)
    changes: list[dict[str, Any]] = []
    for action in (Action.NEW, Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE):
        if len(changes) >= SHOWN_ROWS:
            break
        changes.extend(
            selectors.list_import_rows(job, action=action, limit=SHOWN_ROWS - len(changes))
        )
    return {
        "status": job.status,
        "counts": job.counts,
        "total_rows": job.total_rows,
        "deactivation_threshold": job.deactivation_threshold,
        "needs_confirmation": job.needs_confirmation,
        "unknown_columns": job.unresolved_columns,
        "not_imported_columns": job.not_imported_columns,
        "notes": job.file_notes + [f"{c['header']}: {c['note']}" for c in job.column_notes],
        "file_errors": job.file_errors,
        "groups": job.group_changes,
        "errors": [
            {"row": e["row"], "email": e["email"], "errors": e.get("errors", [])} for e in errors
        ],
        "more_errors": max(0, error_rows - len(errors)),
        "changes": [{k: e.get(k) for k in ("row", "action", "email", "changes")} for e in changes],
    }
