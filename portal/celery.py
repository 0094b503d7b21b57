"""The Celery application; fixed schedules live here, per-source ones in beat's tables."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("roster")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own package's tasks.py.
app.autodiscover_tasks(
    [
        "accounts",
        "accounts.invitations",
        "accounts.groups",
        "provisioning.imports",
        "provisioning.idp",
        "provisioning.scim",
    ]
)

app.conf.beat_schedule = {
    # Every minute: queue invitations whose send time has come and reminders
    # due today; the send task's claim makes overlapping runs harmless.
    "send-due-invitations": {
        "task": "accounts.send_due_invitations",
        "schedule": 60.0,
    },
    # Every minute: push SCIM changes whose enqueue was lost (broker outage,
    # dead worker); the outbox makes a redundant push a no-op.
    "scim-sweep": {
        "task": "provisioning.scim.sweep",
        "schedule": 60.0,
    },
    # Every hour: forget API Idempotency-Key answers older than 24 hours.
    "purge-idempotency-keys": {
        "task": "accounts.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    # Every 15 minutes: recompute rule-based groups for everyone, catching
    # a recompute whose message was lost; an up-to-date group is a no-op.
    "recompute-groups": {
        "task": "accounts.recompute_groups",
        "schedule": 900.0,
    },
    # Every 10 minutes: fail import previews still being prepared after 30
    # minutes (their worker is gone), and delete uploaded files and unapplied
    # previews older than ROSTER_IMPORT_RETENTION_HOURS.
    "purge-imports": {
        "task": "provisioning.purge_imports",
        "schedule": 600.0,
    },
}
