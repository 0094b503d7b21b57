"""Apply a run's groups inside the run's transaction, after its people: plan them
again against Roster as it is now (the people just created are linked by
then), write every change through the audited group services (so targets
receive it over SCIM after commit), link new groups to the source, and keep
the groups read and their delta link for the next run.

Any refusal raises, so the whole run, people included, is rolled back.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.groups.services import create_group, delete_group, update_group
from accounts.groups.sourced import set_members_of_groups
from accounts.models import Group
from provisioning.idp.group_models import GroupSnapshot, SourceGroup
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.idp.services import group_planning as gp
from provisioning.idp.services.group_reading import unpack_groups

LIST_LIMIT = 200


def apply_groups(run: SyncRun, source: IdentitySource, *, by: Any) -> dict[str, int]:
    """Write the run's planned group changes; return the figures as done.

    Call inside the run's transaction, after its people are applied and linked.
    Raises the group services' DomainErrors (then the caller rolls back).
    """
    if run.pending_groups is None:
        return {}
    _, groups = unpack_groups(run.pending_groups)
    plan = gp.plan_groups(source, groups)
    kind = Group.Source.GOOGLE if source.kind == IdentitySource.Kind.GOOGLE else Group.Source.ENTRA
    wanted: dict[int, set[int]] = {}
    for step in sorted(plan.steps, key=lambda s: s.action != gp.DELETE):
        if step.action == gp.DELETE:
            assert step.group is not None
            delete_group(step.group, by=by)
        elif step.action in (gp.RENAME, gp.UPDATE):
            assert step.group is not None
            update_group(step.group, by=by, name=step.name, description=step.description)
        elif step.action == gp.NEW:
            group = create_group(
                name=step.name,
                by=by,
                description=step.description,
                external_id=step.key,
                source=kind,
                kind=Group.Kind.STATIC,
            )
            SourceGroup.objects.create(source=source, group=group, external_key=step.key)
            step.group = group
        if step.action in (gp.NEW, gp.RENAME, gp.UPDATE, gp.MEMBERS):
            assert step.group is not None
            wanted[step.group.pk] = step.member_ids
    # Every group's joins and leaves in a few statements, not a pass per group.
    set_members_of_groups(wanted, by=by)
    GroupSnapshot.objects.update_or_create(
        source=source, defaults={"data": run.pending_groups, "taken_at": timezone.now()}
    )
    counts = plan.counts
    SyncRun.objects.filter(pk=run.pk).update(
        **counts,
        group_changes=[s.to_json() for s in plan.changes[:LIST_LIMIT]],
        group_warnings=plan.warnings[:LIST_LIMIT],
        pending_groups=None,
    )
    IdentitySource.objects.filter(pk=source.pk).update(
        groups_delta_link=run.pending_groups_delta_link
    )
    return counts


__all__ = ["apply_groups"]
