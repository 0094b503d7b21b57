"""SCIM target use cases: configure, test, enable, sync, reconcile, pause, resume.

``targets`` configures targets (settings, secrets, audit), ``state``
switches them (test, enable, disable, pause, resume), ``runs`` starts
syncs, reconciles and dry runs, and ``enqueue`` queues pushes. The push
engine itself lives in ``provisioning.scim.push``; its entry points are
re-exported here with the use cases, so interfaces call one module.
"""

from provisioning.scim.client import ScimError
from provisioning.scim.push import (
    PushOutcome,
    client_for,
    pending_links,
    plan_requests,
    push_pending,
    reconcile_target,
    sync_target,
)
from provisioning.scim.services.enqueue import (
    enqueue_pending_pushes,
    notify_groups_changed,
    notify_people_changed,
)
from provisioning.scim.services.runs import (
    dry_run,
    run_reconcile_now,
    run_sync_now,
    start_reconcile,
    start_scheduled_sync,
    start_sync,
)
from provisioning.scim.services.state import (
    disable_target,
    enable_target,
    pause_target,
    resume_target,
    test_connection,
)
from provisioning.scim.services.targets import (
    EDITABLE,
    SECRETS,
    Actorish,
    create_target,
    delete_target,
    update_target,
)

__all__ = [
    "EDITABLE",
    "SECRETS",
    "Actorish",
    "PushOutcome",
    "ScimError",
    "client_for",
    "create_target",
    "delete_target",
    "disable_target",
    "dry_run",
    "enable_target",
    "enqueue_pending_pushes",
    "notify_groups_changed",
    "notify_people_changed",
    "pause_target",
    "pending_links",
    "plan_requests",
    "push_pending",
    "reconcile_target",
    "resume_target",
    "run_reconcile_now",
    "run_sync_now",
    "start_reconcile",
    "start_scheduled_sync",
    "start_sync",
    "sync_target",
    "test_connection",
    "update_target",
]
