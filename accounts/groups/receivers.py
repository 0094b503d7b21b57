"""What groups do when people change (connected in AccountsConfig.ready)."""

from __future__ import annotations

import logging
from typing import Any

from accounts.jobs import task
from accounts.models import Group, LifecycleEvent

logger = logging.getLogger(__name__)


def on_person_changed(sender: Any, *, person_ids: list[int], action: str, **kwargs: Any) -> None:
    """Queue a recompute of rule-based groups for the changed people (never raises).

    Sent after commit. A deletion needs nothing: memberships go with the
    person. A lost message is caught by the periodic full recompute.
    """
    if action == LifecycleEvent.Action.DELETED or not person_ids:
        return
    if not Group.objects.filter(kind=Group.Kind.RULE).exists():
        return
    try:
        task("accounts.groups.tasks.recompute_groups_task").delay(list(person_ids))
    except Exception:  # the broker is down: the periodic recompute catches up
        logger.warning("Could not queue a group recompute.", exc_info=True)
