"""Apply a run's stored plan: the people's changes (``apply_plan``), the source's
links to them and its directory snapshot and delta link, in one transaction;
then the invitations the source's invite mode asks for.

A run is applied once: it is claimed with a conditional update, and a plan
made stale by changes in Roster fails the run without changing anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.exceptions import DomainError
from accounts.models import LifecycleEvent, Person
from provisioning.exceptions import StalePlan
from provisioning.idp.models import DirectorySnapshot, IdentitySource, SourceLink, SyncRun
from provisioning.idp.services.group_applying import apply_groups
from provisioning.idp.services.runs import fail_run, reload_run
from provisioning.idp.services.sources import Actorish
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.imports.services import apply_plan
from provisioning.imports.services.bulk import insert_rows
from provisioning.reconcile import Action

# Stored rows of people who exist, whose link the run refreshes.
_LINKED_ACTIONS = (
    Action.UPDATE,
    Action.UNCHANGED,
    Action.DEACTIVATE,
    Action.REACTIVATE,
    Action.SKIPPED,
)


def apply_run(run: SyncRun, *, by: Actorish) -> SyncRun:
    """Apply the run's stored plan and record the outcome on the run.

    A run already claimed by another call is returned as it stands; a failure
    (a stale plan, a refused change) is recorded on the run, not raised.
    """
    source = run.source
    claimed = SyncRun.objects.filter(
        pk=run.pk,
        status__in=[
            SyncRun.Status.RUNNING,
            SyncRun.Status.PREVIEW,
            SyncRun.Status.AWAITING_APPROVAL,
        ],
    ).update(status=SyncRun.Status.APPLYING)
    if not claimed:
        return reload_run(run)
    # plan_run stores the plan on a job before any run can be applied.
    assert run.job_id is not None
    created_ids: list[int] = []
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=run.job_id)
            now = timezone.now()
            job.status = ImportJob.Status.APPLYING
            job.confirmed_at = now
            job.started_at = now
            job.applied_by = by if isinstance(by, Person) else None
            job.save(update_fields=["status", "confirmed_at", "started_at", "applied_by"])
            created: dict[int, tuple[str | None, list[Any]]] = {}

            def note_created(entry: dict[str, Any], pk: int) -> None:
                created[pk] = (entry.get("source_id") or None, entry.get("warnings") or [])

            counts = apply_plan(job, by=by, actor=sync_actor(source, by), on_created=note_created)
            run_row = SyncRun.objects.get(pk=run.pk)
            created_ids = _link_people(
                source, job, [e["person_id"] for e in run_row.linked], created
            )
            # People first, so the groups find everyone this run brought in.
            apply_groups(run_row, source, by=sync_actor(source, by))
            if run_row.pending_snapshot:
                DirectorySnapshot.objects.update_or_create(
                    source=source, defaults={"data": run_row.pending_snapshot, "taken_at": now}
                )
            finished = timezone.now()
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                finished_at=finished,
                processed_rows=sum(counts.values()),
            )
            IdentitySource.objects.filter(pk=source.pk).update(
                delta_link=run_row.pending_delta_link or source.delta_link,
                status=IdentitySource.Status.CONNECTED,
                last_error="",
                last_synced_at=finished,
            )
            SyncRun.objects.filter(pk=run.pk).update(
                status=SyncRun.Status.DONE,
                finished_at=finished,
                progress_done=sum(counts.values()),
                pending_snapshot=None,
            )
    except StalePlan as exc:
        fail_run(run, exc.message + " Sync again.")
        return reload_run(run)
    except (DomainError, IntegrityError) as exc:
        message = (
            exc.message
            if isinstance(exc, DomainError)
            else (
                "People changed in Roster while this run was applied; nothing was changed. "
                "Sync again."
            )
        )
        fail_run(run, message)
        return reload_run(run)
    source.refresh_from_db()
    run = reload_run(run)
    if source.invite_mode == IdentitySource.InviteMode.AUTO and created_ids:
        invite_synced(run, created_ids, by=by, send_at=None)
    return reload_run(run)


def _link_people(
    source: IdentitySource,
    job: ImportJob,
    existing: list[int],
    created: dict[int, tuple[str | None, list[Any]]],
) -> list[int]:
    """Link the people the plan matched (``existing``) and those it created
    (``created``: id -> provider id and warnings of its row, as apply_plan
    reported them) to ``source``, with the provider's id of each and the
    warnings of its row; return the created people's ids."""
    state: dict[int, tuple[str | None, list[Any]]] = {}
    for entry in selectors.iter_import_rows(job, _LINKED_ACTIONS):
        if entry.get("person_id") is not None and entry.get("row") is not None:
            state[entry["person_id"]] = (
                entry.get("source_id") or None,
                entry.get("warnings") or [],
            )
    now = timezone.now()
    # People created by this run have no link yet: one COPY, no upsert.
    if created:
        insert_rows(
            SourceLink,
            [
                {
                    "source_id": source.pk,
                    "person_id": pk,
                    "external_key": key,
                    "warnings": warnings,
                    "linked_at": now,
                }
                for pk, (key, warnings) in created.items()
            ],
            with_pk=False,
        )
    SourceLink.objects.bulk_create(
        [SourceLink(source=source, person_id=pk) for pk in existing if pk not in state],
        batch_size=5000,
        ignore_conflicts=True,
    )
    # Upsert: a person linked before keeps the link and gets the new state.
    SourceLink.objects.bulk_create(
        [
            SourceLink(source=source, person_id=pk, external_key=key, warnings=warnings)
            for pk, (key, warnings) in state.items()
        ],
        batch_size=5000,
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=["external_key", "warnings"],
    )
    return list(created)


def invite_synced(
    run: SyncRun, person_ids: list[int], *, by: Actorish, send_at: datetime | None
) -> None:
    """Invite the people a run brought in; note the outcome on the run."""
    try:
        from accounts.invitations.services import invite_people
    except ImportError:
        SyncRun.objects.filter(pk=run.pk).update(
            invite_note="Invitations are not available; the choice was kept for later."
        )
        return
    try:
        result = invite_people(person_ids, by=by, send_at=send_at)
    except DomainError as exc:
        SyncRun.objects.filter(pk=run.pk).update(invite_note=exc.message[:300])
        return
    count = getattr(result, "invited", 0) + getattr(result, "resent", 0)
    when = f" for {send_at:%Y-%m-%d %H:%M}" if send_at else ""
    SyncRun.objects.filter(pk=run.pk).update(
        invited_count=count, invite_note=f"{count} invitation(s) scheduled{when}."
    )


def sync_actor(source: IdentitySource, by: Actorish) -> Actor:
    """The audit trail's name for changes a source's run makes."""
    who = ""
    if isinstance(by, Person):
        who = f", started by {by.display_name} <{by.email}>"
    role = by.role if isinstance(by, Actor) else (by.role if by.is_active else "")
    return Actor(
        kind=LifecycleEvent.ActorKind.INTEGRATION,
        label=f"{source.get_kind_display()} “{source.name}”{who}",
        role=role,
    )
