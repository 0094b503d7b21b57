"""Configuring SCIM targets: create, update and delete them, with their secrets and audit.

Secrets are stored encrypted and are write-only; a URL that moves to another
host must be given its secrets again, so a stored one is never sent there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.db import transaction

from accounts.actors import Actor
from accounts.audit import CHANGED, record_setting_event, setting_changes
from accounts.models import Group, LifecycleEvent, Person
from accounts.services import require
from provisioning.scim import mapping, schedules
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.group_batch import MAX_BATCH
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.services.enqueue import enqueue_push_on_commit
from provisioning.secrets import encrypt, moves_host

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
    "push_groups",
    "scope_groups",
    "deactivation",
    "rate_limit",
    "attribute_mapping",
    "pause_after_failures",
    "full_sync",
    "full_sync_hour",
    "full_sync_weekday",
    "group_batch_size",
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
    groups = values.get("scope_groups")
    if groups is not None:
        if not isinstance(groups, list) or not all(
            isinstance(g, int) and not isinstance(g, bool) for g in groups
        ):
            errors["scope_groups"] = "Groups to push are a list of group ids."
        else:
            missing = set(groups) - set(
                Group.objects.filter(pk__in=groups).values_list("pk", flat=True)
            )
            if missing:
                errors["scope_groups"] = (
                    f"No group with id {', '.join(str(g) for g in sorted(missing))}."
                )
    _validate_schedule(values, errors)
    if "group_batch_size" in values and values["group_batch_size"] is not None:
        size = values["group_batch_size"]
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
            errors["group_batch_size"] = (
                f"Members per request is a whole number from 1 to {MAX_BATCH}, "
                "or empty for automatic."
            )
    if "attribute_mapping" in values:
        problems = mapping.mapping_errors(values["attribute_mapping"] or {})
        if problems:
            errors["attribute_mapping"] = " ".join(problems)
    if errors:
        raise InvalidTarget(errors)


def _validate_schedule(values: dict[str, Any], errors: dict[str, str]) -> None:
    if "full_sync" in values and values["full_sync"] not in ScimTarget.FullSync.values:
        errors["full_sync"] = "A full sync runs never, every day or every week."
    for name, top, what in (
        ("full_sync_hour", 23, "The hour of the full sync is from 0 to 23."),
        ("full_sync_weekday", 6, "Choose the day of the week of the full sync."),
    ):
        if name in values:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                errors[name] = what


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
    schedules.schedule_full_sync(target)
    audit_target(
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


def audit_target(target: ScimTarget, action: str, *, by: Actorish, **kwargs: Any) -> None:
    """Record a change of a target's settings or state in the audit trail."""
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
    audit_target(target, LifecycleEvent.Action.UPDATED, by=by, changes=audited)
    if "base_url" in fields:
        target.capabilities = {}
        fields.append("capabilities")
    if {"group_batch_size", "base_url"} & set(fields) and target.group_batch_learned is not None:
        # A size the administrator chose, or another service, is tried afresh.
        target.group_batch_learned = None
        fields.append("group_batch_learned")
    target.save(update_fields=[*fields, "updated_at"])
    schedules.schedule_full_sync(target)
    if {
        "scope_departments",
        "scope_locations",
        "scope_statuses",
        "scope_sources",
        "attribute_mapping",
        "deactivation",
    } & set(fields):
        ScimLink.objects.filter(target=target).update(synced_version=0)
        enqueue_push_on_commit(target)
    if {"push_groups", "scope_groups"} & set(fields):
        enqueue_push_on_commit(target)
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
    """Remove a target with its links, runs and schedule; remote users are left as they are."""
    require(by, "provisioning.delete_scimtarget")
    audit_target(target, LifecycleEvent.Action.DELETED, by=by)
    schedules.remove_full_sync(target)
    target.delete()
