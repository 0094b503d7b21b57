"""Health of every identity provider and SCIM target, and what waits for an administrator.

Reads for the dashboard: one row per integration (last run, its result,
people pending or failed, paused and why) and the counts of work waiting
for someone (syncs held by the deactivation guard, paused targets, imports
whose preview waits for confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.imports.models import ImportJob
from provisioning.scim.models import ScimRun, ScimTarget
from provisioning.scim.selectors import count_link_states


@dataclass(frozen=True)
class IntegrationHealth:
    """One identity provider or SCIM target as the dashboard shows it."""

    kind: str  # "identity_provider" or "scim_target"
    pk: int
    name: str
    state: str
    state_label: str
    is_ok: bool
    last_run_at: datetime | None
    last_result: str
    pending: int = 0
    failed: int = 0
    reason: str = ""


def list_identity_provider_health() -> list[IntegrationHealth]:
    """Return each identity provider with its latest sync run."""
    newest = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-pk")
    sources = list(
        IdentitySource.objects.annotate(last_run_id=Subquery(newest.values("pk")[:1])).order_by(
            "name"
        )
    )
    latest = SyncRun.objects.in_bulk([s.last_run_id for s in sources if s.last_run_id])
    rows = []
    for source in sources:
        run = latest.get(source.last_run_id)
        paused = source.status == IdentitySource.Status.PAUSED
        rows.append(
            IntegrationHealth(
                kind="identity_provider",
                pk=source.pk,
                name=source.name,
                state=source.status,
                # A source without a schedule syncs when asked: that is a
                # choice, not a fault.
                state_label=source.get_status_display()
                + ("" if source.is_enabled else " (manual sync only)"),
                is_ok=source.status == IdentitySource.Status.CONNECTED,
                last_run_at=run.started_at if run else None,
                last_result=run.get_status_display() if run else "Never run",
                failed=run.count_errors if run else 0,
                reason=(
                    "A sync would deactivate more people than the guard allows."
                    if paused
                    else source.last_error[:300]
                ),
            )
        )
    return rows


def list_scim_target_health() -> list[IntegrationHealth]:
    """Return each SCIM target with its latest run and its people pending or failed."""
    newest = ScimRun.objects.filter(target=OuterRef("pk")).order_by("-started_at", "-pk")
    targets = list(
        ScimTarget.objects.annotate(last_run_id=Subquery(newest.values("pk")[:1])).order_by("name")
    )
    latest = ScimRun.objects.in_bulk([t.last_run_id for t in targets if t.last_run_id])
    rows = []
    for target in targets:
        run = latest.get(target.last_run_id)
        states = count_link_states(target)
        label = target.get_state_display() if target.is_enabled else "Disabled"
        rows.append(
            IntegrationHealth(
                kind="scim_target",
                pk=target.pk,
                name=target.name,
                state=target.state if target.is_enabled else "disabled",
                state_label=label,
                is_ok=target.is_enabled and target.state == ScimTarget.State.HEALTHY,
                last_run_at=run.started_at if run else None,
                last_result=(
                    f"{run.get_kind_display()}: {run.get_status_display()}" if run else "Never run"
                ),
                pending=states["pending"],
                failed=states["failed"],
                reason=target.state_reason,
            )
        )
    return rows


def list_runs_awaiting_approval() -> list[SyncRun]:
    """Return sync runs held by the deactivation guard, oldest first, with their source."""
    return list(
        SyncRun.objects.filter(status=SyncRun.Status.AWAITING_APPROVAL)
        .select_related("source")
        .order_by("started_at")
    )


def count_paused_targets() -> int:
    return ScimTarget.objects.filter(state=ScimTarget.State.PAUSED).count()


def count_imports_awaiting_confirmation() -> int:
    """Count spreadsheet imports whose preview is ready and not yet confirmed."""
    return ImportJob.objects.filter(status=ImportJob.Status.READY).count()


def count_integrations() -> dict[str, int]:
    return {
        "identity_providers": IdentitySource.objects.count(),
        "scim_targets": ScimTarget.objects.count(),
    }
