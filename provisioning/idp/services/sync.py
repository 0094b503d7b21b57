"""Run a source's sync: plan it, then apply it unless it is held back (a dry run,
the source's first run, or a run the deactivation guard pauses).

Provider failures are recorded on the run rather than raised.
"""

from __future__ import annotations

from accounts.exceptions import DomainError
from accounts.models import Person
from accounts.services import require
from provisioning.idp.errors import DirectoryError, SourceProblem
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.idp.services.applying import apply_run
from provisioning.idp.services.planning import plan_run
from provisioning.idp.services.runs import (
    claim_source,
    fail_run,
    finish_run,
    release_source,
    reload_run,
)
from provisioning.idp.services.sources import MANAGE, Actorish


def run_sync(
    source: IdentitySource,
    *,
    by: Actorish,
    dry_run: bool = False,
    trigger: str = SyncRun.Trigger.MANUAL,
    full: bool = False,
) -> SyncRun:
    """Read the source, plan the changes, and apply them unless held back.

    Held back: a dry run (plan only), the source's first run (a preview an
    administrator confirms with ``confirm_first_run``), and a run that would
    deactivate more people than the source's guard allows (paused until
    ``approve_run``/``reject_run``). Provider failures are recorded on the run
    (status failed, with the reason) rather than raised. Raises NotAllowed,
    SyncInProgress.
    """
    require(by, MANAGE)
    if (
        not dry_run
        and SyncRun.objects.filter(source=source, status=SyncRun.Status.AWAITING_APPROVAL).exists()
    ):
        raise SourceProblem(
            f"A run of {source.name} is waiting for approval; approve or reject it first."
        )
    claim_source(source)
    run = SyncRun.objects.create(
        source=source,
        trigger=trigger,
        is_dry_run=dry_run,
        requested_by=by if isinstance(by, Person) else None,
    )
    try:
        plan_run(run, source, by=by, full=full)
    except DirectoryError as exc:
        fail_run(run, exc.message, reason=exc.reason)
        IdentitySource.objects.filter(pk=source.pk).update(
            status=IdentitySource.Status.FAILING, last_error=exc.message
        )
        return reload_run(run)
    except DomainError as exc:
        fail_run(run, exc.message)
        return reload_run(run)
    finally:
        release_source(source)
    run = reload_run(run)
    if dry_run:
        return finish_run(run, SyncRun.Status.DRY_RUN)
    if source.confirmed_at is None:
        return finish_run(run, SyncRun.Status.PREVIEW, final=False)
    if run.count_deactivated > run.deactivation_threshold:
        IdentitySource.objects.filter(pk=source.pk).update(status=IdentitySource.Status.PAUSED)
        return finish_run(run, SyncRun.Status.AWAITING_APPROVAL, final=False)
    return apply_run(run, by=by)
