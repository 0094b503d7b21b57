"""Identity-provider sources: connect, test, sync through the shared reconcile engine,
approve or reject paused runs, and keep each source's schedule.

A run reads the directory (HTTP, outside any transaction), builds
``ExternalRecord`` objects through the source's attribute mapping, plans
them with ``provisioning.reconcile.compute_plan`` exactly as a spreadsheet
preview is planned, stores the plan on an ``ImportJob`` and, unless it is a
dry run, the source's first run, or the deactivation guard trips, applies it
with ``provisioning.imports.services.apply_plan`` in one transaction together with
the source's links to people and its directory snapshot. A run that is not
applied leaves the snapshot and delta link untouched, so nothing read is lost.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import CHANGED, record_setting_event, setting_changes
from accounts.exceptions import DomainError
from accounts.models import LifecycleEvent, Person
from accounts.services import require
from provisioning.idp import entra, google
from provisioning.idp.errors import DeltaExpired, DirectoryError
from provisioning.idp.mapping import (
    ENTRA_DEFAULT_MAPPING,
    GOOGLE_DEFAULT_MAPPING,
    MappingError,
    effective_mapping,
    to_record,
)
from provisioning.idp.models import (
    DirectorySnapshot,
    IdentitySource,
    SourceLink,
    SyncRun,
)
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.reconcile import (
    DEACTIVATED,
    DEFAULT_LABELS,
    EMAIL,
    SOURCE,
    STATUS,
    Action,
    Plan,
    PlanOptions,
    absent_row,
    compute_plan,
    deactivation_threshold,
)
from provisioning.records import ExternalRecord
from provisioning.secrets import decrypt_json, encrypt_json, moves_host

logger = logging.getLogger(__name__)

Actorish = Person | Actor
MANAGE = "provisioning.change_identitysource"
ADD = "provisioning.add_identitysource"
LIST_LIMIT = 200
STALE_RUN = timedelta(hours=2)
TASK_NAME = "provisioning.sync_source"
GOOGLE_CONNECTION_KEYS = ("admin_email", "customer", "domain", "api_endpoint")
ENTRA_CONNECTION_KEYS = ("tenant_id", "client_id", "authority_host", "graph_url", "ca_bundle")


class SourceProblem(DomainError):
    """A source cannot be saved or synced as asked."""


class SyncInProgress(SourceProblem):
    """Another run of this source is still going."""


@dataclass(frozen=True)
class ConnectionResult:
    """What "Test connection" found: ``reason`` is "" on success."""

    ok: bool
    message: str
    reason: str = ""


# --- configuration ----------------------------------------------------------


def default_mapping(kind: str) -> dict[str, str]:
    return dict(
        GOOGLE_DEFAULT_MAPPING if kind == IdentitySource.Kind.GOOGLE else ENTRA_DEFAULT_MAPPING
    )


def mapping_for(source: IdentitySource) -> dict[str, str]:
    """Return provider field path per attribute: the defaults with the source's overrides."""
    try:
        return effective_mapping(default_mapping(source.kind), source.mapping_overrides)
    except MappingError as exc:
        raise SourceProblem(str(exc)) from exc


def source_config(source: IdentitySource) -> google.GoogleConfig | entra.EntraConfig:
    """Build the edge client's configuration, decrypting the stored credentials."""
    secrets = decrypt_json(source.encrypted_credentials)
    conn = source.connection or {}
    if source.kind == IdentitySource.Kind.GOOGLE:
        return google.GoogleConfig(
            service_account_info=secrets.get("service_account_info") or {},
            admin_email=conn.get("admin_email", ""),
            customer=conn.get("customer") or "my_customer",
            domain=conn.get("domain", ""),
            api_endpoint=conn.get("api_endpoint") or None,
        )
    return entra.EntraConfig(
        tenant_id=conn.get("tenant_id", ""),
        client_id=conn.get("client_id", ""),
        client_secret=secrets.get("client_secret", ""),
        authority_host=conn.get("authority_host") or "https://login.microsoftonline.com",
        graph_url=conn.get("graph_url") or "https://graph.microsoft.com",
        ca_bundle=conn.get("ca_bundle") or None,
    )


def _clean_credentials(kind: str, credentials: dict[str, Any]) -> dict[str, Any]:
    if kind == IdentitySource.Kind.GOOGLE:
        info = credentials.get("service_account_info")
        if isinstance(info, str):
            try:
                info = json.loads(info)
            except ValueError as exc:
                raise SourceProblem("The service-account key is not valid JSON.") from exc
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise SourceProblem(
                "Paste the JSON key of a service account (its “type” is “service_account”)."
            )
        return {"service_account_info": info}
    secret = (credentials.get("client_secret") or "").strip()
    if not secret:
        raise SourceProblem("Enter the application's client secret.")
    return {"client_secret": secret}


def _clean_connection(kind: str, connection: dict[str, Any]) -> dict[str, Any]:
    keys = GOOGLE_CONNECTION_KEYS if kind == IdentitySource.Kind.GOOGLE else ENTRA_CONNECTION_KEYS
    clean = {k: str(connection.get(k) or "").strip() for k in keys if connection.get(k)}
    required = (
        ("admin_email",) if kind == IdentitySource.Kind.GOOGLE else ("tenant_id", "client_id")
    )
    missing = [k for k in required if not clean.get(k)]
    if missing:
        raise SourceProblem("Enter " + " and ".join(k.replace("_", " ") for k in missing) + ".")
    return clean


@transaction.atomic
def connect_source(
    *,
    by: Actorish,
    name: str,
    kind: str,
    connection: dict[str, Any],
    credentials: dict[str, Any],
    **options: Any,
) -> IdentitySource:
    """Create a source with encrypted credentials and its schedule. Raises NotAllowed,
    SourceProblem. The credentials are never returned or shown again."""
    require(by, ADD)
    if kind not in IdentitySource.Kind.values:
        raise SourceProblem(f"“{kind}” is not a kind of identity provider Roster reads.")
    if IdentitySource.objects.filter(name__iexact=name.strip()).exists():
        raise SourceProblem(f"A source named “{name}” already exists.")
    source = IdentitySource(
        name=name.strip(),
        kind=kind,
        connection=_clean_connection(kind, connection),
        encrypted_credentials=encrypt_json(_clean_credentials(kind, credentials)),
    )
    _set_options(source, options)
    source.save()
    schedule_source(source)
    _audit(
        source,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes=setting_changes(
            None,
            {"kind": kind, **_audited(source), "credentials": True},
            secrets=["credentials"],
        ),
    )
    return source


def _audited(source: IdentitySource) -> dict[str, Any]:
    values = {name: getattr(source, name) for name in _OPTION_FIELDS}
    values.update({f"connection.{k}": v for k, v in (source.connection or {}).items()})
    return values


def _audit(source: IdentitySource, action: str, *, by: Actorish, **kwargs: Any) -> None:
    record_setting_event(
        LifecycleEvent.SubjectKind.IDENTITY_PROVIDER, source.name, action, by=by, **kwargs
    )


_OPTION_FIELDS = (
    "scope_kind",
    "scope_values",
    "mapping_overrides",
    "sync_interval_minutes",
    "is_enabled",
    "invite_mode",
    "invite_at",
    "guard_mode",
    "guard_value",
)


def _set_options(source: IdentitySource, options: dict[str, Any]) -> list[str]:
    unknown = set(options) - set(_OPTION_FIELDS)
    if unknown:
        raise SourceProblem(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, value in options.items():
        setattr(source, name, value)
    if source.scope_kind not in IdentitySource.ScopeKind.values:
        raise SourceProblem("Choose who this source covers.")
    values = [str(v).strip() for v in (source.scope_values or []) if str(v).strip()]
    if source.scope_kind != IdentitySource.ScopeKind.EVERYONE and not values:
        raise SourceProblem(f"Name at least one entry for “{source.get_scope_kind_display()}”.")
    source.scope_values = values
    if source.sync_interval_minutes < 5:
        raise SourceProblem("Sync at most every 5 minutes.")
    if source.guard_mode == IdentitySource.GuardMode.PERCENT and not 0 < source.guard_value <= 100:
        raise SourceProblem("The deactivation limit must be a percentage from 1 to 100.")
    if source.invite_mode == IdentitySource.InviteMode.AT and not source.invite_at:
        raise SourceProblem("Choose when to send the invitations.")
    mapping_for(source)
    return list(options)


@transaction.atomic
def update_source(
    source: IdentitySource,
    *,
    by: Actorish,
    connection: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    **options: Any,
) -> IdentitySource:
    """Change a source's settings; ``credentials`` None keeps the stored ones.

    Changing the scope or mapping forgets the delta link, so the next run is a
    full read. Raises NotAllowed, SourceProblem.
    """
    require(by, MANAGE)
    source = IdentitySource.objects.select_for_update().get(pk=source.pk)
    before = _audited(source)
    fields = _set_options(source, options)
    if connection is not None:
        clean = _clean_connection(source.kind, connection)
        if source.has_credentials and not credentials:
            _check_credentials_follow_hosts(source, clean)
        source.connection = clean
        fields.append("connection")
    if credentials:
        source.encrypted_credentials = encrypt_json(_clean_credentials(source.kind, credentials))
        fields.append("encrypted_credentials")
    if {"scope_kind", "scope_values", "mapping_overrides", "connection"} & set(fields):
        source.delta_link = ""
        fields.append("delta_link")
    source.save(update_fields=[*set(fields), "updated_at"])
    schedule_source(source)
    after = _audited(source)
    audited = setting_changes(before, after)
    audited.update({k: [before[k], None] for k in set(before) - set(after)})
    if credentials:
        audited["credentials"] = CHANGED
    if audited:
        _audit(source, LifecycleEvent.Action.UPDATED, by=by, changes=audited)
    return source


# Where each kind sends its credentials (or tokens made from them), with the
# address used when the setting is empty.
CREDENTIAL_ENDPOINTS = {
    IdentitySource.Kind.GOOGLE: {"api_endpoint": "https://admin.googleapis.com"},
    IdentitySource.Kind.ENTRA: {
        "authority_host": "https://login.microsoftonline.com",
        "graph_url": "https://graph.microsoft.com",
    },
}
SECRET_NAMES = {
    IdentitySource.Kind.GOOGLE: "service-account key",
    IdentitySource.Kind.ENTRA: "client secret",
}


def _check_credentials_follow_hosts(source: IdentitySource, connection: dict[str, Any]) -> None:
    """Refuse an endpoint moved to another host while the stored credentials stay.

    Raises SourceProblem naming the setting, so the administrator enters the
    secret again for the new host.
    """
    before = source.connection or {}
    for key, default in CREDENTIAL_ENDPOINTS[IdentitySource.Kind(source.kind)].items():
        if moves_host(before.get(key) or default, connection.get(key) or default):
            label = key.replace("_", " ")
            secret = SECRET_NAMES[IdentitySource.Kind(source.kind)]
            raise SourceProblem(
                f"The {label} now points at another host: enter the {secret} again, "
                "or the stored one would be sent there."
            )


def schedule_source(source: IdentitySource) -> Any:
    """Create or update the source's django-celery-beat PeriodicTask (idempotent).

    Scheduled runs start once the first run was confirmed and the source is enabled.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=source.sync_interval_minutes, period=IntervalSchedule.MINUTES
    )
    enabled = source.is_enabled and source.confirmed_at is not None
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"Sync identity provider #{source.pk}",
        defaults={
            "task": TASK_NAME,
            "interval": interval,
            "args": json.dumps([source.pk]),
            "enabled": enabled,
            "description": f"Sync {source.name} every {source.sync_interval_minutes} minutes.",
        },
    )
    if source.periodic_task_id != task.pk:
        IdentitySource.objects.filter(pk=source.pk).update(periodic_task=task)
        source.periodic_task = task
    return task


def test_connection(source: IdentitySource, *, by: Actorish) -> ConnectionResult:
    """Sign in and read one user; say what is wrong in terms an administrator can fix.

    Records the outcome on the source. Raises NotAllowed.
    """
    require(by, MANAGE)
    try:
        config = source_config(source)
        client = google if source.kind == IdentitySource.Kind.GOOGLE else entra
        seen = client.test_connection(config)
    except DirectoryError as exc:
        IdentitySource.objects.filter(pk=source.pk).update(last_error=exc.message)
        labels = {
            DirectoryError.CREDENTIALS: "Bad credentials",
            DirectoryError.CONSENT: "Missing consent or scope",
            DirectoryError.UNREACHABLE: "Unreachable",
        }
        label = labels.get(exc.reason, "Refused")
        return ConnectionResult(False, f"{label}: {exc.message}", exc.reason)
    except DomainError as exc:
        return ConnectionResult(False, exc.message, DirectoryError.CREDENTIALS)
    IdentitySource.objects.filter(pk=source.pk).update(last_error="")
    found = "and read a user" if seen else "but the directory has no users"
    return ConnectionResult(True, f"Connected {found}.")


def refresh_departments(source: IdentitySource, *, by: Actorish) -> list[str]:
    """Read the departments people have in the provider and remember them for the form."""
    require(by, MANAGE)
    config = source_config(source)
    if isinstance(config, google.GoogleConfig):
        departments = google.list_departments(config)
    else:
        listing = entra.fetch_users(config, with_delta=False)
        departments = sorted(
            {u["department"] for u in listing.users.values() if u.get("department")}
        )
    IdentitySource.objects.filter(pk=source.pk).update(known_departments=departments)
    return departments


# --- reading the directory ----------------------------------------------------


@dataclass
class _Read:
    records: list[ExternalRecord]
    fetched: int
    in_scope: int
    complete: bool
    incremental: bool
    departments: list[str] | None
    snapshot: dict[str, Any] | None
    delta_link: str


def _pack(data: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)


def _unpack(blob: bytes | memoryview | None) -> dict[str, Any] | None:
    if not blob:
        return None
    return json.loads(zlib.decompress(bytes(blob)))


def _read_google(source: IdentitySource, mapping: dict[str, str]) -> _Read:
    config = source_config(source)
    assert isinstance(config, google.GoogleConfig)
    values = source.scope_values
    kind = source.scope_kind
    scope = google.GoogleScope(
        departments=values if kind == IdentitySource.ScopeKind.DEPARTMENTS else (),
        managers=values if kind == IdentitySource.ScopeKind.MANAGERS else (),
        org_units=values if kind == IdentitySource.ScopeKind.GROUPS else (),
    )
    listing = google.fetch_users(config, scope)
    records = list(google.to_records(listing.users, mapping))
    departments = None
    if scope.is_everyone:
        departments = sorted({r.department for r in records if r.department})
    return _Read(records, len(listing.users), len(records), True, False, departments, None, "")


def _entra_scope(
    source: IdentitySource, users: dict[str, dict[str, Any]], client: entra.GraphClient
) -> set[str]:
    kind, values = source.scope_kind, source.scope_values
    if kind == IdentitySource.ScopeKind.EVERYONE:
        return set(users)
    if kind == IdentitySource.ScopeKind.DEPARTMENTS:
        wanted = {v.casefold() for v in values}
        return {k for k, u in users.items() if (u.get("department") or "").casefold() in wanted}
    if kind == IdentitySource.ScopeKind.GROUPS:
        return entra.group_member_ids(client.config, values, client=client) & set(users)
    wanted = {v.casefold() for v in values}
    roots = [
        k
        for k, u in users.items()
        if (u.get("mail") or "").casefold() in wanted
        or (u.get("userPrincipalName") or "").casefold() in wanted
    ]
    children: dict[str, list[str]] = {}
    for key, user in users.items():
        if user.get("managerId"):
            children.setdefault(user["managerId"], []).append(key)
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _read_entra(source: IdentitySource, mapping: dict[str, str], *, full: bool) -> _Read:
    config = source_config(source)
    assert isinstance(config, entra.EntraConfig)
    select = ",".join(entra.select_fields(mapping))
    previous = None
    if not full and source.delta_link:
        snap = DirectorySnapshot.objects.filter(source=source).first()
        previous = _unpack(snap.data) if snap else None
        if previous and previous.get("select") != select:
            previous = None
    with entra.GraphClient(config) as client:
        changes = None
        if previous is not None:
            try:
                changes = entra.fetch_changes(config, source.delta_link, client=client)
            except DeltaExpired:
                logger.info("Delta link of source %s expired; reading in full", source.pk)
                changes = None
        if changes is None:
            listing = entra.fetch_users(config, mapping=mapping, client=client)
            users = listing.users
            scope = _entra_scope(source, users, client)
            records = list(entra.to_records(users, mapping, only=[k for k in users if k in scope]))
            departments = sorted({u["department"] for u in users.values() if u.get("department")})
            blob = {"select": select, "users": users, "in_scope": sorted(scope)}
            return _Read(
                records, len(users), len(scope), True, False, departments, blob, listing.delta_link
            )
        assert previous is not None
        users = previous["users"]
        old_scope = set(previous["in_scope"])
        old_users = {k: users[k] for k in changes.removed if k in users}
        for key in changes.removed:
            users.pop(key, None)
        for key, change in changes.users.items():
            users.setdefault(key, {}).update(change)
        scope = _entra_scope(source, users, client)
    touched = (set(changes.users) & scope) | (scope - old_scope)
    records = list(entra.to_records(users, mapping, only=sorted(touched)))
    leaving = (old_scope - scope) | (set(old_users) & old_scope)
    for key in sorted(leaving):
        entry = old_users.get(key) or users.get(key)
        if entry is None:
            continue
        data = dict(entry)
        data["manager"] = users.get(data.get("managerId") or "")
        record = to_record(data, mapping, row=len(records) + 1)
        records.append(replace(record, is_active=False))
    blob = {"select": select, "users": users, "in_scope": sorted(scope)}
    return _Read(
        records,
        len(changes.users) + len(changes.removed),
        len(scope),
        False,
        True,
        None,
        blob,
        changes.delta_link,
    )


# --- planning -----------------------------------------------------------------


def _guard(source: IdentitySource) -> tuple[float, int]:
    if source.guard_mode == IdentitySource.GuardMode.COUNT:
        return 1.0, source.guard_value
    if source.guard_mode == IdentitySource.GuardMode.PERCENT:
        return source.guard_value / 100, 10**9
    return 0.10, 50


def _prepare(
    records: Sequence[ExternalRecord],
    snapshot: Any,
    *,
    owned: set[int],
    others: dict[int, str],
) -> tuple[list[ExternalRecord], list[dict[str, str]], list[dict[str, str]]]:
    """Drop people another source holds, and unknown suspended people; note links."""
    known = set(snapshot.by_email) | {r.email for r in records if r.email}
    kept: list[ExternalRecord] = []
    conflicts: list[dict[str, str]] = []
    linked: list[dict[str, str]] = []
    for record in records:
        pid = snapshot.by_external_id.get(record.external_id) if record.external_id else None
        if pid is None and record.email:
            pid = snapshot.by_email.get(record.email.lower())
        if pid is not None and pid in others:
            conflicts.append({"email": record.email, "source": others[pid]})
            continue
        if pid is None and record.is_active is False:
            continue
        if pid is not None and pid not in owned:
            origin = snapshot.people[pid][SOURCE]
            linked.append({"email": snapshot.people[pid][EMAIL], "from": origin, "person_id": pid})
        if record.manager_email and record.manager_email not in known:
            # The manager is outside Roster and this batch: leave the line empty.
            record = replace(record, manager_email="")
        kept.append(record)
    return kept, conflicts, linked


def _deactivate_missing(plan: Plan, snapshot: Any, *, owned: set[int]) -> None:
    """Complete-list semantics per source: its people the directory no longer
    lists in scope are deactivated (people of other sources are not touched)."""
    seen = {row.person_id for row in plan.rows if row.person_id is not None}
    for pid in sorted(owned - seen):
        person = snapshot.people.get(pid)
        if person is None or person[STATUS] == DEACTIVATED:
            continue
        plan.rows.append(absent_row(person))


def _owners(source: IdentitySource) -> tuple[set[int], dict[int, str]]:
    owned: set[int] = set()
    others: dict[int, str] = {}
    for person_id, source_id, name in SourceLink.objects.values_list(
        "person_id", "source_id", "source__name"
    ):
        if source_id == source.pk:
            owned.add(person_id)
        else:
            others[person_id] = name
    return owned, others


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


def _claim(source: IdentitySource) -> None:
    now = timezone.now()
    claimed = IdentitySource.objects.filter(
        Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN), pk=source.pk
    ).update(running_since=now)
    if not claimed:
        raise SyncInProgress(f"{source.name} is already syncing; try again when it finishes.")


def _release(source: IdentitySource) -> None:
    IdentitySource.objects.filter(pk=source.pk).update(running_since=None)


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
    _claim(source)
    run = SyncRun.objects.create(
        source=source,
        trigger=trigger,
        is_dry_run=dry_run,
        requested_by=by if isinstance(by, Person) else None,
    )
    try:
        _plan_run(run, source, by=by, full=full)
    except DirectoryError as exc:
        _fail(run, exc.message, reason=exc.reason)
        IdentitySource.objects.filter(pk=source.pk).update(
            status=IdentitySource.Status.FAILING, last_error=exc.message
        )
        return _reload(run)
    except DomainError as exc:
        _fail(run, exc.message)
        return _reload(run)
    finally:
        _release(source)
    run = _reload(run)
    if dry_run:
        return _finish(run, SyncRun.Status.DRY_RUN)
    if source.confirmed_at is None:
        return _finish(run, SyncRun.Status.PREVIEW, final=False)
    if run.count_deactivated > run.deactivation_threshold:
        IdentitySource.objects.filter(pk=source.pk).update(status=IdentitySource.Status.PAUSED)
        return _finish(run, SyncRun.Status.AWAITING_APPROVAL, final=False)
    return _apply_run(run, by=by)


def _plan_run(run: SyncRun, source: IdentitySource, *, by: Actorish, full: bool) -> None:
    mapping = mapping_for(source)
    if source.kind == IdentitySource.Kind.GOOGLE:
        read = _read_google(source, mapping)
    else:
        read = _read_entra(source, mapping, full=full)
    snapshot = selectors.load_snapshot()
    owned, others = _owners(source)
    records, conflicts, linked = _prepare(read.records, snapshot, owned=owned, others=others)
    share, maximum = _guard(source)
    options = PlanOptions(
        source=source.kind,
        attributes=frozenset(DEFAULT_LABELS) - {"manager_external_id"},
        deactivation_share=share,
        deactivation_max=maximum,
    )
    plan = compute_plan(records, snapshot, options)
    if read.complete:
        _deactivate_missing(plan, snapshot, owned=owned)
    plan.source_population = len(owned)
    plan.deactivation_threshold = deactivation_threshold(len(owned), share=share, maximum=maximum)
    counts = plan.counts
    now = timezone.now()
    job = ImportJob.objects.create(
        source=source.kind,
        status=ImportJob.Status.READY,
        created_by=by if isinstance(by, Person) else None,
        original_filename=f"{source.get_kind_display()}: {source.name}",
        is_complete_list=read.complete,
        skip_invalid=True,
        total_rows=len(records),
        count_new=counts["new"],
        count_updated=counts["updated"],
        count_unchanged=counts["unchanged"],
        count_deactivated=counts["deactivated"],
        count_reactivated=counts["reactivated"],
        count_errors=counts["errors"],
        count_skipped=counts["skipped"],
        deactivation_threshold=plan.deactivation_threshold,
        planned_at=now,
    )
    # The spreadsheet preview's own storage: the admin pages read plans from it.
    from provisioning.imports.services import _store_plan

    # Unchanged people are counted, not stored: nothing is written for them, and
    # those not yet linked to this source are kept in ``linked``.
    rejected = {r.person_id for r in plan.rows if r.action == Action.ERROR}
    linked = [entry for entry in linked if entry["person_id"] not in rejected]
    plan.rows = [r for r in plan.rows if r.action != Action.UNCHANGED]
    _store_plan(job, plan)
    errors = [
        {"email": r.email, "message": "; ".join(e["message"] for e in r.errors)}
        for r in plan.by_action(Action.ERROR)[:LIST_LIMIT]
    ]
    SyncRun.objects.filter(pk=run.pk).update(
        job=job,
        is_incremental=read.incremental,
        count_fetched=read.fetched,
        count_in_scope=read.in_scope,
        count_new=counts["new"],
        count_updated=counts["updated"],
        count_unchanged=counts["unchanged"],
        count_deactivated=counts["deactivated"],
        count_reactivated=counts["reactivated"],
        count_errors=counts["errors"],
        count_skipped=counts["skipped"],
        count_linked=len(linked),
        count_conflicts=len(conflicts),
        deactivation_threshold=plan.deactivation_threshold,
        errors=errors,
        conflicts=conflicts[:LIST_LIMIT],
        linked=linked,
        progress_total=len(records),
        pending_snapshot=_pack(read.snapshot) if read.snapshot is not None else None,
        pending_delta_link=read.delta_link,
    )
    if read.departments is not None:
        IdentitySource.objects.filter(pk=source.pk).update(known_departments=read.departments)


def _reload(run: SyncRun) -> SyncRun:
    return SyncRun.objects.select_related("source", "job").get(pk=run.pk)


def _fail(run: SyncRun, message: str, *, reason: str = "") -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED,
        error_message=message,
        error_reason=reason,
        finished_at=timezone.now(),
    )


def _finish(run: SyncRun, status: str, *, final: bool = True) -> SyncRun:
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now() if final else None
    )
    return _reload(run)


# --- applying -------------------------------------------------------------------


def _apply_run(run: SyncRun, *, by: Actorish) -> SyncRun:
    from provisioning.exceptions import StalePlan
    from provisioning.imports.services import apply_plan

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
        return _reload(run)
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
            counts = apply_plan(job, by=by, actor=sync_actor(source, by))
            run_row = SyncRun.objects.get(pk=run.pk)
            created_ids = _link_people(source, job, [e["person_id"] for e in run_row.linked])
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
        _fail(run, exc.message + " Sync again.")
        return _reload(run)
    except (DomainError, IntegrityError) as exc:
        message = (
            exc.message
            if isinstance(exc, DomainError)
            else (
                "People changed in Roster while this run was applied; nothing was changed. "
                "Sync again."
            )
        )
        _fail(run, message)
        return _reload(run)
    source.refresh_from_db()
    run = _reload(run)
    if source.invite_mode == IdentitySource.InviteMode.AUTO and created_ids:
        _invite(run, created_ids, by=by, send_at=None)
    return _reload(run)


def _link_people(source: IdentitySource, job: ImportJob, existing: list[int]) -> list[int]:
    """Link the people the plan matched (``existing``) and those it created to
    ``source``; return the created people's ids."""
    new_emails = [entry["email"].lower() for entry in selectors.iter_import_rows(job, [Action.NEW])]
    created: list[int] = []
    for start in range(0, len(new_emails), 10_000):
        batch = new_emails[start : start + 10_000]
        created.extend(
            Person.objects.annotate(lower_email=Lower("email"))
            .filter(lower_email__in=batch)
            .values_list("pk", flat=True)
        )
    links = [SourceLink(source=source, person_id=pk) for pk in [*existing, *created]]
    SourceLink.objects.bulk_create(links, batch_size=5000, ignore_conflicts=True)
    return created


def _invite(run: SyncRun, person_ids: list[int], *, by: Actorish, send_at: datetime | None) -> None:
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
    run = _apply_run(run, by=by)
    if run.status == SyncRun.Status.DONE and invite_mode in (
        IdentitySource.InviteMode.NOW,
        IdentitySource.InviteMode.AT,
    ):
        ids = list(SourceLink.objects.filter(source=source).values_list("person_id", flat=True))
        send_at = invite_at if invite_mode == IdentitySource.InviteMode.AT else None
        staged = Person.objects.filter(pk__in=ids, status=Person.Status.STAGED)
        _invite(run, list(staged.values_list("pk", flat=True)), by=by, send_at=send_at)
    return _reload(run)


def approve_run(run: SyncRun, *, by: Person) -> SyncRun:
    """Apply a run the deactivation guard paused. Raises NotAllowed, SourceProblem."""
    require(by, MANAGE)
    if run.status != SyncRun.Status.AWAITING_APPROVAL:
        raise SourceProblem("This run is not waiting for approval.")
    SyncRun.objects.filter(pk=run.pk).update(decided_by=by, decided_at=timezone.now())
    return _apply_run(_reload(run), by=by)


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
    return _reload(run)


def deactivations_of(run: SyncRun) -> Iterable[dict[str, Any]]:
    """The people a run deactivates (for the approval page), from its stored plan."""
    if not run.job_id:
        return []
    return selectors.iter_import_rows(run.job, [Action.DEACTIVATE])


def delete_source(source: IdentitySource, *, by: Actorish) -> None:
    """Remove a source, its schedule and links; the people it brought stay in Roster."""
    require(by, "provisioning.delete_identitysource")
    with transaction.atomic():
        _audit(source, LifecycleEvent.Action.DELETED, by=by)
        if source.periodic_task_id:
            source.periodic_task.delete()
        source.delete()


__all__ = [
    "ConnectionResult",
    "SourceProblem",
    "SyncInProgress",
    "approve_run",
    "confirm_first_run",
    "connect_source",
    "deactivations_of",
    "delete_source",
    "mapping_for",
    "refresh_departments",
    "reject_run",
    "run_sync",
    "schedule_source",
    "source_config",
    "sync_actor",
    "test_connection",
    "update_source",
]
