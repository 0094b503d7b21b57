"""How the import pages show an import: labels and colours of actions and
statuses, a stored plan row as the preview table shows it, the page's phase,
and the invitation choices offered."""

from __future__ import annotations

from typing import Any

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action

ACTION_LABELS = {
    Action.ERROR: "Errors",
    Action.NEW: "New",
    Action.UPDATE: "Updated",
    Action.DEACTIVATE: "Deactivated",
    Action.REACTIVATE: "Reactivated",
    Action.UNCHANGED: "Unchanged",
    Action.SKIPPED: "Skipped (staff)",
}
ROW_LABELS = {**ACTION_LABELS, Action.ERROR: "Error"}
ACTION_COLOURS = {
    Action.ERROR: "danger",
    Action.NEW: "success",
    Action.UPDATE: "info",
    Action.DEACTIVATE: "warning",
    Action.REACTIVATE: "success",
    Action.UNCHANGED: "",
    Action.SKIPPED: "warning",
}
STATUS_COLOURS = {
    ImportJob.Status.QUEUED: "info",
    ImportJob.Status.PLANNING: "info",
    ImportJob.Status.READY: "warning",
    ImportJob.Status.APPLYING: "info",
    ImportJob.Status.DONE: "success",
    ImportJob.Status.FAILED: "danger",
}
FIELD_LABELS = {
    "email": "Email",
    "external_id": "Employee ID",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "manager": "Manager",
    "job_title": "Job title",
    "department": "Department",
    "phone_number": "Phone number",
    "location": "Location",
    "start_date": "Start date",
    "status": "Status",
}
FIELD_ORDER = {name: position for position, name in enumerate(FIELD_LABELS)}
PERSON_STATUS_LABELS = dict(Person.Status.choices)


def _show(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(PERSON_STATUS_LABELS.get(value, value))
    return str(value)


def describe_row(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a stored plan row as the preview table shows it."""
    # An invalid row joins no group either.
    groups = {} if entry["action"] == Action.ERROR else (entry.get("groups") or {})
    return {
        "row": entry.get("row"),
        "email": entry.get("email", ""),
        "name": entry.get("name", ""),
        "person_id": entry.get("person_id"),
        "action": entry["action"],
        "action_label": ROW_LABELS.get(entry["action"], entry["action"]),
        "colour": ACTION_COLOURS.get(entry["action"], ""),
        # An invalid row changes nothing; its errors say why.
        "changes": []
        if entry["action"] == Action.ERROR
        else [
            {
                "field": FIELD_LABELS.get(name, name),
                "old": _show(name, old),
                "new": _show(name, new),
            }
            for name, (old, new) in sorted(
                (entry.get("changes") or {}).items(),
                key=lambda item: FIELD_ORDER.get(item[0], len(FIELD_ORDER)),
            )
        ],
        "errors": entry.get("errors") or [],
        "reason": entry.get("reason", ""),
        "warnings": entry.get("warnings") or [],
        "joins": groups.get("join", []),
        "leaves": groups.get("leave", []),
    }


def phase_of(job: ImportJob) -> str:
    """Which page an import shows: planning, preview, applying, done or failed."""
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.PLANNING):
        return "planning"
    if job.status == ImportJob.Status.READY:
        return "applying" if job.confirmed_at else "preview"
    if job.status == ImportJob.Status.APPLYING:
        return "applying"
    if job.status == ImportJob.Status.DONE:
        return "done"
    return "failed"


def invite_modes_for(user: Any) -> list[str]:
    """The invitation choices offered: all of them when invitations exist and
    the person may invite, else only "no invitations"."""
    try:
        from accounts.invitations import invite_people  # noqa: F401
    except ImportError:
        return [ImportJob.InviteMode.NONE]
    if not user.has_perm("accounts.add_invitation"):
        return [ImportJob.InviteMode.NONE]
    return list(ImportJob.InviteMode.values)
