"""Celery tasks for groups: thin interfaces over the group services."""

from __future__ import annotations

from celery import shared_task

from accounts.groups import services


@shared_task(name="accounts.recompute_groups")
def recompute_groups_task(person_ids: list[int] | None = None) -> int:
    """Recompute rule-based groups for these people (None: everyone); return groups changed.

    Idempotent: the recompute compares rules with current memberships, so a
    redelivered message finds nothing to do.
    """
    return len(services.recompute_groups(person_ids=person_ids))
