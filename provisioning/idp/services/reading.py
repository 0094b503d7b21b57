"""Read a source's directory (HTTP, outside any transaction) into ``ExternalRecord``
objects through its attribute mapping: Google in full, Entra in full or, with a
delta link and the snapshot of the last applied run, only what changed plus
the people the last run could not import cleanly (its ``retry`` list).

Nothing here writes: the new snapshot and delta link travel on the
``DirectoryRead`` and are stored only when the run is applied.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass, replace
from typing import Any

from provisioning.idp import entra, google
from provisioning.idp.errors import DeltaExpired
from provisioning.idp.mapping import to_record
from provisioning.idp.models import DirectorySnapshot, IdentitySource
from provisioning.idp.services.sources import source_config
from provisioning.records import ExternalRecord

logger = logging.getLogger(__name__)


@dataclass
class DirectoryRead:
    """What one read of a directory found, and what to store once it is applied."""

    records: list[ExternalRecord]
    fetched: int
    in_scope: int
    complete: bool
    incremental: bool
    departments: list[str] | None
    snapshot: dict[str, Any] | None
    delta_link: str


def read_directory(source: IdentitySource, mapping: dict[str, str], *, full: bool) -> DirectoryRead:
    """Read the source's people in scope; ``full`` ignores an Entra delta link.

    Raises DirectoryError when the provider refuses or cannot be reached.
    """
    if source.kind == IdentitySource.Kind.GOOGLE:
        return _read_google(source, mapping)
    return _read_entra(source, mapping, full=full)


def pack_snapshot(data: dict[str, Any]) -> bytes:
    """Compress a directory snapshot for storage on the run."""
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)


def _unpack(blob: bytes | memoryview | None) -> dict[str, Any] | None:
    if not blob:
        return None
    return json.loads(zlib.decompress(bytes(blob)))


def _read_google(source: IdentitySource, mapping: dict[str, str]) -> DirectoryRead:
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
    return DirectoryRead(records, listing.fetched, len(records), True, False, departments, None, "")


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


def _read_entra(source: IdentitySource, mapping: dict[str, str], *, full: bool) -> DirectoryRead:
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
            return DirectoryRead(
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
    # People rejected, skipped or imported with warnings last time are planned
    # again until they succeed (a manager imported since, a fixed value).
    retry = set(previous.get("retry") or ()) & scope
    touched = (set(changes.users) & scope) | (scope - old_scope) | retry
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
    return DirectoryRead(
        records,
        len(changes.users) + len(changes.removed),
        len(scope),
        False,
        True,
        None,
        blob,
        changes.delta_link,
    )
