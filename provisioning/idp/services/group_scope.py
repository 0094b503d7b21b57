"""Choose which of a provider's groups a source brings into Roster: none (the
default), all, or the groups an administrator picks from the provider's list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.audit import record_setting_event, setting_changes
from accounts.models import LifecycleEvent
from accounts.services import require
from provisioning.idp.errors import SourceProblem
from provisioning.idp.groups import GroupSummary
from provisioning.idp.models import IdentitySource
from provisioning.idp.services.group_reading import list_provider_groups
from provisioning.idp.services.sources import MANAGE, Actorish


def provider_groups(source: IdentitySource, *, by: Actorish) -> list[GroupSummary]:
    """List the provider's groups to choose from (HTTP). Raises NotAllowed, DirectoryError."""
    require(by, MANAGE)
    return list_provider_groups(source)


@transaction.atomic
def choose_groups(
    source: IdentitySource, *, by: Actorish, scope: str, keys: Iterable[str] = ()
) -> IdentitySource:
    """Set the source's group scope; the next run plans the groups it adds or drops.

    ``keys``: the provider's ids of the chosen groups (for "These groups").
    A change forgets the groups' delta link, so the next run reads the groups
    in full. Audited. Raises NotAllowed, SourceProblem; then nothing changes.
    """
    require(by, MANAGE)
    if scope not in IdentitySource.GroupScope.values:
        raise SourceProblem("Choose no groups, all groups, or the groups to bring in.")
    clean = sorted({str(k).strip() for k in keys if str(k).strip()})
    if any(len(k) > 255 for k in clean):
        raise SourceProblem("A group id has at most 255 characters.")
    if scope == IdentitySource.GroupScope.CHOSEN and not clean:
        raise SourceProblem("Tick at least one group, or choose “No groups”.")
    if scope != IdentitySource.GroupScope.CHOSEN:
        clean = []
    source = IdentitySource.objects.select_for_update().get(pk=source.pk)
    before = {"group_scope": source.group_scope, "group_keys": source.group_keys}
    after = {"group_scope": scope, "group_keys": clean}
    changes = setting_changes(before, after)
    if not changes:
        return source
    source.group_scope, source.group_keys, source.groups_delta_link = scope, clean, ""
    source.save(update_fields=["group_scope", "group_keys", "groups_delta_link", "updated_at"])
    record_setting_event(
        LifecycleEvent.SubjectKind.IDENTITY_PROVIDER,
        source.name,
        LifecycleEvent.Action.UPDATED,
        by=by,
        changes=changes,
    )
    return source


__all__ = ["choose_groups", "provider_groups"]
