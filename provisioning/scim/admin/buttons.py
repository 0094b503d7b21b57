"""The SCIM target's buttons: what each one is called, who may press it, and what it calls.

The target admin shows them as detail actions (a confirmation page on GET,
the service call on POST) and as changelist actions for several targets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioning.scim import services
from provisioning.scim.models import ScimTarget

# name: (title, permission, service call, what to say)
Button = tuple[str, str, Callable[..., Any], str]
BUTTONS: dict[str, Button] = {
    "enable": (
        "Enable and sync",
        "change",
        lambda t, by: services.enable_target(t, by=by),
        "Enabled; the initial sync of everyone in scope has started.",
    ),
    "sync": (
        "Sync now",
        "change",
        lambda t, by: services.start_sync(t, by=by),
        "Sync started.",
    ),
    "reconcile": (
        "Reconcile (report only)",
        "change",
        lambda t, by: services.start_reconcile(t, by=by),
        "Reconcile started; its report appears in the run history.",
    ),
    "reconcile_fix": (
        "Reconcile and fix",
        "change",
        lambda t, by: services.start_reconcile(t, by=by, fix=True),
        "Reconcile started; differences will be pushed.",
    ),
    "dry_run": (
        "Dry run",
        "change",
        lambda t, by: services.dry_run(t, by=by),
        "Dry run recorded: nothing was sent.",
    ),
    "test": (
        "Test connection",
        "change",
        lambda t, by: services.test_connection(t, by=by),
        "Connection works.",
    ),
    "pause": (
        "Pause",
        "change",
        lambda t, by: services.pause_target(t, by=by),
        "Paused; changes wait until it is resumed.",
    ),
    "resume": (
        "Resume",
        "change",
        lambda t, by: services.resume_target(t, by=by),
        "Resumed; waiting changes are being pushed.",
    ),
    "disable": (
        "Disable",
        "change",
        lambda t, by: services.disable_target(t, by=by),
        "Disabled.",
    ),
}


def not_applying(target: ScimTarget, name: str) -> str | None:
    """Say why button ``name`` does nothing for ``target`` as it is now; None if it applies."""
    if name == "enable" and target.is_enabled:
        return f"{target.name} is already enabled."
    if name == "pause" and target.is_paused:
        return f"{target.name} is already paused."
    if name == "resume" and not target.is_paused:
        return f"{target.name} is not paused."
    return None
