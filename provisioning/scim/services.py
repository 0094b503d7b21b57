"""SCIM target use cases: configure, test, enable, sync, reconcile, pause, resume.

The push engine itself lives in ``provisioning.scim.push``; its entry points
are re-exported here so interfaces call one module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import CHANGED, record_setting_event, setting_changes
from accounts.jobs import task
from accounts.models import LifecycleEvent, Person
from accounts.services import require
from provisioning.scim import mapping
from provisioning.scim.client import Capabilities, ScimError
from provisioning.scim.exceptions import InvalidTarget, ScimTargetUnavailable
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push import (  # noqa: F401  (re-exported)
    PushOutcome,
    client_for,
    pending_links,
    plan_requests,
    push_pending,
    reconcile_target,
    sync_target,
)
from provisioning.secrets import encrypt, moves_host

logger = logging.getLogger(__name__)

Actorish = Person | Actor
EDITABLE = (
    "name",
    "base_url",
    "auth_method",
    "oauth_token_url",
    "oauth_client_id",
    "oauth_scope",
    "scope_departments",
    "scope_locations",
    "scope_statuses",
    "scope_sources",
    "deactivation",
    "rate_limit",
    "attribute_mapping",
    "pause_after_failures",
)
SECRETS = {"token": "token_encrypted", "oauth_client_secret": "oauth_client_secret_encrypted"}


def _validate(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = "A target needs a name."
    if "base_url" in values:
        url = urlparse(values["base_url"] or "")
        if url.scheme not in ("http", "https") or not url.netloc:
            errors["base_url"] = "The base URL must be an http(s) URL."
    if "rate_limit" in values:
        try:
            if float(values["rate_limit"]) <= 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["rate_limit"] = (
                "The rate limit must be a positive number of requests per second."
            )
    if values.get("auth_method", ScimTarget.AuthMethod.BEARER) not in ScimTarget.AuthMethod.values:
        errors["auth_method"] = "Unknown authentication method."
    if (
        values.get("deactivation", ScimTarget.Deactivation.PATCH)
        not in ScimTarget.Deactivation.values
    ):
        errors["deactivation"] = "Deactivation is PATCH or DELETE."
    for name in ("scope_departments", "scope_locations", "scope_statuses", "scope_sources"):
        if name in values and not isinstance(values[name], list):
            errors[name] = "Scope filters are lists of values."
    bad_status = set(values.get("scope_statuses") or []) - set(Person.Status.values)
    if bad_status:
        errors["scope_statuses"] = f"Unknown status: {', '.join(sorted(bad_status))}."
    bad_source = set(values.get("scope_sources") or []) - set(Person.Source.values)
    if bad_source:
        errors["scope_sources"] = f"Unknown source: {', '.join(sorted(bad_source))}."
    if "attribute_mapping" in values:
        problems = mapping.mapping_errors(values["attribute_mapping"] or {})
        if problems:
            errors["attribute_mapping"] = " ".join(problems)
    if errors:
        raise InvalidTarget(errors)


@transaction.atomic
def create_target(
    *,
    name: str,
    base_url: str,
    by: Actorish,
    token: str = "",
    oauth_client_secret: str = "",
    **attributes: Any,
) -> ScimTarget:
    """Add a (disabled) SCIM target; secrets are stored encrypted.

    Raises InvalidTarget or NotAllowed.
    """
    require(by, "provisioning.add_scimtarget")
    unknown = set(attributes) - set(EDITABLE)
    if unknown:
        raise InvalidTarget(dict.fromkeys(unknown, "This setting does not exist."))
    values = {"name": (name or "").strip(), "base_url": (base_url or "").strip(), **attributes}
    _validate(values)
    if ScimTarget.objects.filter(name__iexact=values["name"]).exists():
        raise InvalidTarget({"name": f"A target named {values['name']} already exists."})
    target = ScimTarget(**values)
    target.token_encrypted = encrypt(token)
    target.oauth_client_secret_encrypted = encrypt(oauth_client_secret)
    target.save(force_insert=True)
    _audit(
        target,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes=setting_changes(
            None,
            {**values, "token": token, "oauth_client_secret": oauth_client_secret},
            secrets=SECRETS,
        ),
    )
    return target


def _audit(target: ScimTarget, action: str, *, by: Actorish, **kwargs: Any) -> None:
    record_setting_event(
        LifecycleEvent.SubjectKind.SCIM_TARGET, target.name, action, by=by, **kwargs
    )


@transaction.atomic
def update_target(
    target: ScimTarget,
    *,
    by: Actorish,
    token: str | None = None,
    oauth_client_secret: str | None = None,
    **changes: Any,
) -> ScimTarget:
    """Change a target's settings. Empty secrets keep the stored ones (write-only).

    A change of scope or mapping marks every link for comparison, so people
    who left the scope are deactivated and new attributes reach the target.
    Raises InvalidTarget or NotAllowed.
    """
    require(by, "provisioning.change_scimtarget")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidTarget(dict.fromkeys(unknown, "This setting does not exist."))
    _validate(changes)
    target = ScimTarget.objects.select_for_update().get(pk=target.pk)
    forget = _check_secrets_follow_hosts(
        target, changes, token=token or "", oauth_client_secret=oauth_client_secret or ""
    )
    fields = [n for n, v in changes.items() if getattr(target, n) != v]
    audited = setting_changes(
        {n: getattr(target, n) for n in fields}, {n: changes[n] for n in fields}
    )
    for name in fields:
        setattr(target, name, changes[name])
    if token:
        target.token_encrypted = encrypt(token)
        fields.append("token_encrypted")
        audited["token"] = CHANGED
    elif "token" in forget and target.token_encrypted:
        target.token_encrypted = ""
        fields.append("token_encrypted")
        audited["token"] = "removed"
    if oauth_client_secret:
        target.oauth_client_secret_encrypted = encrypt(oauth_client_secret)
        fields.append("oauth_client_secret_encrypted")
        audited["oauth_client_secret"] = CHANGED
    elif "oauth_client_secret" in forget and target.oauth_client_secret_encrypted:
        target.oauth_client_secret_encrypted = ""
        fields.append("oauth_client_secret_encrypted")
        audited["oauth_client_secret"] = "removed"
    if not fields:
        return target
    _audit(target, LifecycleEvent.Action.UPDATED, by=by, changes=audited)
    if "base_url" in fields:
        target.capabilities = {}
        fields.append("capabilities")
    target.save(update_fields=[*fields, "updated_at"])
    if {
        "scope_departments",
        "scope_locations",
        "scope_statuses",
        "scope_sources",
        "attribute_mapping",
        "deactivation",
    } & set(fields):
        ScimLink.objects.filter(target=target).update(synced_version=0)
        _enqueue_push_on_commit(target)
    return target


def _check_secrets_follow_hosts(
    target: ScimTarget, changes: dict[str, Any], *, token: str, oauth_client_secret: str
) -> set[str]:
    """Refuse a move of a URL to another host that would carry a stored secret there.

    The bearer token (and, with OAuth, the access token) goes to the base URL;
    the client secret goes to the token URL. Return the names of stored
    secrets not in use that belong to the old host: they are forgotten, so
    a later switch of method cannot send them to the new one.
    Raises InvalidTarget.
    """
    method = changes.get("auth_method", target.auth_method)
    base_moves = moves_host(target.base_url, changes.get("base_url", target.base_url))
    token_url_moves = bool(target.oauth_token_url) and moves_host(
        target.oauth_token_url, changes.get("oauth_token_url", target.oauth_token_url)
    )
    errors: dict[str, str] = {}
    again = "now points at another host: enter the {} again, or the stored one would be sent there."
    bearer = method == ScimTarget.AuthMethod.BEARER
    if bearer and base_moves and target.token_encrypted and not token:
        errors["token"] = "The base URL " + again.format("bearer token")
    stored_secret = bool(target.oauth_client_secret_encrypted) and not oauth_client_secret
    if not bearer and stored_secret and (base_moves or token_url_moves):
        which = "OAuth token URL" if token_url_moves else "base URL"
        errors["oauth_client_secret"] = f"The {which} " + again.format("OAuth client secret")
    if errors:
        raise InvalidTarget(errors)
    forget = set()
    if base_moves and not token:
        forget.add("token")
    if token_url_moves and not oauth_client_secret:
        forget.add("oauth_client_secret")
    return forget


@transaction.atomic
def delete_target(target: ScimTarget, *, by: Actorish) -> None:
    """Remove a target with its links and runs; remote users are left as they are."""
    require(by, "provisioning.delete_scimtarget")
    _audit(target, LifecycleEvent.Action.DELETED, by=by)
    target.delete()


def test_connection(target: ScimTarget, *, by: Actorish) -> Capabilities:
    """Read the target's configuration endpoints and store what it supports.

    Raises ScimTargetUnavailable with the reason when the target cannot be read.
    """
    require(by, "provisioning.change_scimtarget")
    try:
        with client_for(target) as client:
            caps = client.discover()
    except ScimError as exc:
        raise ScimTargetUnavailable(f"{target.name}: {exc.message}") from exc
    ScimTarget.objects.filter(pk=target.pk).update(
        capabilities=caps.to_dict(), capabilities_checked_at=timezone.now()
    )
    target.capabilities = caps.to_dict()
    return caps


def _start_run(target: ScimTarget, kind: str) -> ScimRun:
    return ScimRun.objects.create(target=target, kind=kind)


def _enqueue_push_on_commit(target: ScimTarget) -> None:
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.push_target_task").delay, target.pk)
    )


@transaction.atomic
def enable_target(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Switch a target on and start its initial sync of everyone in scope."""
    require(by, "provisioning.change_scimtarget")
    target = ScimTarget.objects.select_for_update().get(pk=target.pk)
    if not target.is_enabled:
        _audit(target, LifecycleEvent.Action.UPDATED, by=by, changes={"is_enabled": [False, True]})
    target.is_enabled = True
    target.state = ScimTarget.State.HEALTHY
    target.state_reason = ""
    target.consecutive_failures = 0
    target.backoff_until = None
    target.save(
        update_fields=[
            "is_enabled",
            "state",
            "state_reason",
            "consecutive_failures",
            "backoff_until",
            "updated_at",
        ]
    )
    return _sync(target)


def _sync(target: ScimTarget) -> ScimRun:
    run = _start_run(target, ScimRun.Kind.SYNC)
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.sync_target_task").delay, target.pk, run.pk)
    )
    return run


@transaction.atomic
def disable_target(target: ScimTarget, *, by: Actorish) -> ScimTarget:
    """Stop pushing to a target (its links are kept)."""
    require(by, "provisioning.change_scimtarget")
    if ScimTarget.objects.filter(pk=target.pk, is_enabled=True).update(is_enabled=False):
        _audit(target, LifecycleEvent.Action.UPDATED, by=by, changes={"is_enabled": [True, False]})
    target.refresh_from_db()
    return target


def _require_enabled(target: ScimTarget) -> None:
    if not target.is_enabled:
        raise ScimTargetUnavailable(f"{target.name} is not enabled.")
    if target.is_paused:
        raise ScimTargetUnavailable(f"{target.name} is paused: {target.state_reason}")


@transaction.atomic
def start_sync(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Sync now: list the target's users, match them, and push every difference."""
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    _require_enabled(target)
    ScimLink.objects.filter(target=target).update(failed_version=None, next_attempt_at=None)
    return _sync(target)


@transaction.atomic
def start_reconcile(target: ScimTarget, *, by: Actorish, fix: bool = False) -> ScimRun:
    """Compare remote users with Roster's and report drift; with ``fix``, correct it."""
    # Reconciling reads every remote user: read-only roles send nothing out.
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    if fix:
        _require_enabled(target)
    run = _start_run(target, ScimRun.Kind.RECONCILE)
    transaction.on_commit(
        partial(task("provisioning.scim.tasks.reconcile_target_task").delay, target.pk, run.pk, fix)
    )
    return run


@transaction.atomic
def dry_run(target: ScimTarget, *, by: Actorish) -> ScimRun:
    """Record the requests a push would send now; send nothing."""
    # Dry runs belong with the actions they preview: read-only roles get neither.
    require(by, "provisioning.change_scimtarget")
    plan = plan_requests(target)
    # Counted as the push would count them, person by person; the requests
    # it would send are a separate figure.
    return ScimRun.objects.create(
        target=target,
        kind=ScimRun.Kind.DRY_RUN,
        status=ScimRun.Status.FINISHED,
        finished_at=timezone.now(),
        total=plan["people"],
        requests=plan["total"],
        **plan["counts"],
        report=plan,
        message=f"{plan['total']} request(s) would be sent.",
    )


@transaction.atomic
def pause_target(target: ScimTarget, *, by: Actorish, reason: str = "") -> ScimTarget:
    """Pause pushes to a target; changes keep accumulating in the outbox."""
    require(by, "provisioning.change_scimtarget")
    reason = (reason or "Paused by an administrator.")[:500]
    ScimTarget.objects.filter(pk=target.pk).update(
        state=ScimTarget.State.PAUSED, state_reason=reason
    )
    target.refresh_from_db()
    _audit(target, LifecycleEvent.Action.PAUSED, by=by, reason=reason)
    return target


@transaction.atomic
def resume_target(target: ScimTarget, *, by: Actorish) -> ScimTarget:
    """Resume a paused target and push what accumulated meanwhile."""
    require(by, "provisioning.change_scimtarget")
    ScimTarget.objects.filter(pk=target.pk).update(
        state=ScimTarget.State.HEALTHY,
        state_reason="",
        consecutive_failures=0,
        backoff_until=None,
    )
    ScimLink.objects.filter(target=target, next_attempt_at__isnull=False).update(
        next_attempt_at=None, attempts=0
    )
    target.refresh_from_db()
    _audit(target, LifecycleEvent.Action.RESUMED, by=by)
    _enqueue_push_on_commit(target)
    return target


# --- enqueueing ---------------------------------------------------------------


def _active_targets() -> Iterable[int]:
    return (
        ScimTarget.objects.filter(is_enabled=True)
        .exclude(state=ScimTarget.State.PAUSED)
        .values_list("pk", flat=True)
    )


def _send(target_id: int) -> bool:
    try:
        # retry=False: with the broker down, fail at once; the sweep delivers later.
        task("provisioning.scim.tasks.push_target_task").apply_async((target_id,), retry=False)
    except Exception:  # any broker failure; the outbox keeps the change
        logger.warning("Could not enqueue the SCIM push of target %s; the sweep will.", target_id)
        return False
    return True


def notify_people_changed(person_ids: list[int]) -> int:
    """Enqueue a push to every active target; return how many were enqueued.

    Called after commit. Never raises: a lost message only delays the change
    until the next sweep, because the outbox is the people's state itself.
    """
    if not person_ids:
        return 0
    return sum(_send(pk) for pk in _active_targets())


def enqueue_pending_pushes() -> list[int]:
    """Sweep: enqueue a push for every active target with pending links; return their ids."""
    now = timezone.now()
    queued = []
    for target in ScimTarget.objects.filter(is_enabled=True).exclude(state=ScimTarget.State.PAUSED):
        if target.backoff_until and target.backoff_until > now:
            continue
        from provisioning.scim.push import ensure_links

        ensure_links(target)
        if pending_links(target).exists() and _send(target.pk):
            queued.append(target.pk)
    return queued


# --- in-process runs (the command line's --wait) ------------------------------


def run_sync_now(target: ScimTarget, *, by: Actorish, max_wait: float = 600.0) -> ScimRun:
    """Sync a target in this process and return the finished run.

    Waits out short throttling (Retry-After, backoff) up to ``max_wait``
    seconds in all. Workers running at the same time share the batches.
    """
    import time

    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    _require_enabled(target)
    ScimLink.objects.filter(target=target).update(failed_version=None, next_attempt_at=None)
    run = _start_run(target, ScimRun.Kind.SYNC)
    deadline = time.monotonic() + max_wait
    sync_target(target.pk, run_id=run.pk)
    while True:
        outcome = push_pending(target.pk, run_id=run.pk)
        if outcome.retry_in is None or time.monotonic() + outcome.retry_in > deadline:
            break
        time.sleep(outcome.retry_in)
    run.refresh_from_db()
    if run.status == ScimRun.Status.RUNNING and outcome.stopped:
        run.message = outcome.stopped
        run.save(update_fields=["message"])
    return run


def run_reconcile_now(target: ScimTarget, *, by: Actorish, fix: bool = False) -> ScimRun:
    """Reconcile in this process; with ``fix``, push the corrections too."""
    # Reconciling reads every remote user: read-only roles send nothing out.
    require(by, "provisioning.change_scimtarget")
    target.refresh_from_db()
    if fix:
        _require_enabled(target)
    run = _start_run(target, ScimRun.Kind.RECONCILE)
    try:
        reconcile_target(target.pk, run_id=run.pk, fix=fix)
    except ScimError as exc:
        raise ScimTargetUnavailable(f"{target.name}: {exc.message}") from exc
    if fix:
        push_pending(target.pk)
    run.refresh_from_db()
    return run
