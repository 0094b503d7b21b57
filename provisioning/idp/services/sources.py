"""Configure identity-provider sources: connect one, change or delete it, and turn
its stored settings into what the edge clients need (the attribute mapping, the
client configuration with decrypted credentials).

Credentials are stored encrypted and never returned. Every change is audited
and keeps the source's schedule in step (``schedules.schedule_source``).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from accounts.actors import Actor
from accounts.audit import CHANGED, record_setting_event, setting_changes
from accounts.models import LifecycleEvent, Person
from accounts.services import require
from provisioning.idp import entra, google
from provisioning.idp.errors import SourceProblem
from provisioning.idp.mapping import (
    ENTRA_DEFAULT_MAPPING,
    GOOGLE_DEFAULT_MAPPING,
    MappingError,
    effective_mapping,
)
from provisioning.idp.models import IdentitySource
from provisioning.idp.services.schedules import schedule_source
from provisioning.secrets import decrypt_json, encrypt_json, moves_host

Actorish = Person | Actor
# The permissions the source use cases check.
MANAGE = "provisioning.change_identitysource"
ADD = "provisioning.add_identitysource"
GOOGLE_CONNECTION_KEYS = ("admin_email", "customer", "domain", "api_endpoint")
ENTRA_CONNECTION_KEYS = ("tenant_id", "client_id", "authority_host", "graph_url", "ca_bundle")


def default_mapping(kind: str) -> dict[str, str]:
    """Return the provider field path per attribute that a source of ``kind`` starts with."""
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
        source.groups_delta_link = ""
        fields += ["delta_link", "groups_delta_link"]
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


def delete_source(source: IdentitySource, *, by: Actorish) -> None:
    """Remove a source, its schedule and links; the people it brought stay in Roster."""
    require(by, "provisioning.delete_identitysource")
    with transaction.atomic():
        _audit(source, LifecycleEvent.Action.DELETED, by=by)
        task = source.periodic_task
        if task is not None:
            task.delete()
        source.delete()
