"""Decide on a run that was held back: confirm a source's first run (its preview),
approve or reject a run the deactivation guard paused, and list the people such
a run would deactivate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import Person
from accounts.services import require
from provisioning.idp.errors import SourceProblem
from provisioning.idp.models import IdentitySource, SourceLink, SyncRun
from provisioning.idp.services.applying import apply_run, invite_synced
from provisioning.idp.services.runs import reload_run
from provisioning.idp.services.schedules import schedule_source
from provisioning.idp.services.sources import MANAGE
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action


def confirm_first_run(
    run: SyncRun,
    *,
    by: Person,
    invite_mode: str = IdentitySource.InviteMode.NONE,
    invite_at: datetime | None = None,
) -> SyncRun:
    """Apply the source's first run (its preview) and start the schedule.

    ``invite_mode``: none (invite later by hand), now, at (``invite_at``), or
    auto (invite everyone this source adds, now and on later runs). Raises
    NotAllowed, SourceProblem.
    """
    require(by, MANAGE)
    if run.status != SyncRun.Status.PREVIEW:
        raise SourceProblem("Only a preview waiting for confirmation can be confirmed.")
    if invite_mode not in IdentitySource.InviteMode.values:
        raise SourceProblem("Choose when to send invitations.")
    if invite_mode == IdentitySource.InviteMode.AT and not invite_at:
        raise SourceProblem("Choose when to send the invitations.")
    source = run.source
    IdentitySource.objects.filter(pk=source.pk).update(
        invite_mode=invite_mode,
        invite_at=invite_at,
        confirmed_at=timezone.now(),
        status=IdentitySource.Status.CONNECTED,
    )
    source.refresh_from_db()
    schedule_source(source)
    run = apply_run(run, by=by)
    if run.status == SyncRun.Status.DONE and invite_mode in (
        IdentitySource.InviteMode.NOW,
        IdentitySource.InviteMode.AT,
    ):
        ids = list(SourceLink.objects.filter(source=source).values_list("person_id", flat=True))
        send_at = invite_at if invite_mode == IdentitySource.InviteMode.AT else None
        staged = Person.objects.filter(pk__in=ids, status=Person.Status.STAGED)
        invite_synced(run, list(staged.values_list("pk", flat=True)), by=by, send_at=send_at)
    return reload_run(run)


def approve_run(run: SyncRun, *, by: Person) -> SyncRun:
    """Apply a run the deactivation guard paused. Raises NotAllowed, SourceProblem."""
    require(by, MANAGE)
    if run.status != SyncRun.Status.AWAITING_APPROVAL:
        raise SourceProblem("This run is not waiting for approval.")
    SyncRun.objects.filter(pk=run.pk).update(decided_by=by, decided_at=timezone.now())
    return apply_run(reload_run(run), by=by)


def reject_run(run: SyncRun, *, by: Person) -> SyncRun:
    """Discard a paused run: nothing changes, and the next run reads the same changes again."""
    require(by, MANAGE)
    updated = SyncRun.objects.filter(
        pk=run.pk, status__in=[SyncRun.Status.AWAITING_APPROVAL, SyncRun.Status.PREVIEW]
    ).update(
        status=SyncRun.Status.REJECTED,
        decided_by=by,
        decided_at=timezone.now(),
        finished_at=timezone.now(),
        pending_snapshot=None,
        pending_groups=None,
    )
    if not updated:
        raise SourceProblem("This run is not waiting for a decision.")
    IdentitySource.objects.filter(pk=run.source_id, status=IdentitySource.Status.PAUSED).update(
        status=IdentitySource.Status.CONNECTED
    )
    if run.job_id:
        ImportJob.objects.filter(pk=run.job_id).update(
            status=ImportJob.Status.FAILED, error_message="Rejected by an administrator."
        )
    return reload_run(run)


def deactivations_of(run: SyncRun) -> Iterable[dict[str, Any]]:
    """The people a run deactivates (for the approval page), from its stored plan."""
    job = run.job
    if job is None:
        return []
    return selectors.iter_import_rows(job, [Action.DEACTIVATE])
