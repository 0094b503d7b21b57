"""Read a source's groups in scope (HTTP, outside any transaction): Google in full
every run (it has no change feed), Entra in full or, with the groups' delta
link and the snapshot of the last applied run, only what changed.

Nothing here writes: the groups read and the new delta link travel on the
``GroupRead`` and are stored only when the run is applied.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

from provisioning.idp import entra, entra_groups, google, google_groups
from provisioning.idp.errors import DeltaExpired
from provisioning.idp.group_models import GroupSnapshot
from provisioning.idp.groups import DirectoryGroup, GroupRead, GroupSummary
from provisioning.idp.models import IdentitySource
from provisioning.idp.services.sources import source_config

logger = logging.getLogger(__name__)


def chosen_keys(source: IdentitySource) -> set[str] | None:
    """The provider ids of the groups in scope; None for every group."""
    if source.group_scope == IdentitySource.GroupScope.ALL:
        return None
    if source.group_scope == IdentitySource.GroupScope.CHOSEN:
        return set(source.group_keys or ())
    return set()


def scope_marker(source: IdentitySource) -> list[Any]:
    """What a snapshot was read for: a delta continues only under the same scope."""
    return [source.group_scope, sorted(source.group_keys or ())]


def pack_groups(source: IdentitySource, read: GroupRead) -> bytes:
    """Compress the groups read, with the scope they were read for."""
    data = {
        "scope": scope_marker(source),
        "groups": {k: g.to_json() for k, g in read.groups.items()},
    }
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)


def unpack_groups(blob: bytes | memoryview | None) -> tuple[list[Any], dict[str, DirectoryGroup]]:
    """Return the scope marker and the groups of a packed read."""
    if not blob:
        return [], {}
    data = json.loads(zlib.decompress(bytes(blob)))
    groups = {k: DirectoryGroup.from_json(k, v) for k, v in data.get("groups", {}).items()}
    return data.get("scope") or [], groups


def read_groups(source: IdentitySource, *, full: bool) -> GroupRead:
    """Read the groups in the source's group scope with their members.

    No groups in scope reads nothing. Raises DirectoryError.
    """
    chosen = chosen_keys(source)
    if chosen is not None and not chosen:
        return GroupRead()
    config = source_config(source)
    if isinstance(config, google.GoogleConfig):
        return google_groups.fetch_groups(config, chosen=chosen)
    assert isinstance(config, entra.EntraConfig)
    previous: dict[str, DirectoryGroup] | None = None
    if not full and source.groups_delta_link:
        snap = GroupSnapshot.objects.filter(source=source).first()
        if snap is not None:
            scope, groups = unpack_groups(snap.data)
            previous = groups if scope == scope_marker(source) else None
    with entra.GraphClient(config) as client:
        if previous is not None:
            try:
                return entra_groups.fetch_group_changes(
                    config, source.groups_delta_link, previous, chosen=chosen, client=client
                )
            except DeltaExpired:
                logger.info("Group delta link of source %s expired; reading in full", source.pk)
        return entra_groups.fetch_groups(config, chosen=chosen, client=client)


def list_provider_groups(source: IdentitySource) -> list[GroupSummary]:
    """Every group the provider holds, sorted by name (HTTP). Raises DirectoryError."""
    config = source_config(source)
    if isinstance(config, google.GoogleConfig):
        return google_groups.list_groups(config)
    assert isinstance(config, entra.EntraConfig)
    with entra.GraphClient(config) as client:
        return entra_groups.list_groups(client)
