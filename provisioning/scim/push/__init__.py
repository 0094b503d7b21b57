"""The push engine: a state-based outbox from people to SCIM targets.

One module per step: ``outbox`` (scope, which links are pending),
``claim`` (leases with SKIP LOCKED), ``build`` (desired state, dry run),
``send`` (the requests of one link), ``bulk`` (listing and SCIM Bulk for
large batches), ``record`` (outcomes, backoff, pausing), ``runs`` (run
progress), ``loop`` (the pass that ties them together) and ``reconcile``
(full sync and drift reports). ``connect`` builds a target's client and
``work`` holds the values passed between steps. The entry points are
re-exported here.
"""

from provisioning.scim.push.build import desired_for, plan_requests
from provisioning.scim.push.claim import claim, lease_seconds
from provisioning.scim.push.connect import client_for, credentials_for
from provisioning.scim.push.loop import push_pending
from provisioning.scim.push.outbox import (
    ensure_links,
    has_scope,
    in_scope,
    pending_links,
    pending_q,
    people_in_scope,
    scope_q,
)
from provisioning.scim.push.reconcile import reconcile_target, survey, sync_target
from provisioning.scim.push.send import PushEngine
from provisioning.scim.push.work import PushOutcome, Result, Work

__all__ = [
    "PushEngine",
    "PushOutcome",
    "Result",
    "Work",
    "claim",
    "client_for",
    "credentials_for",
    "desired_for",
    "ensure_links",
    "has_scope",
    "in_scope",
    "lease_seconds",
    "pending_links",
    "pending_q",
    "people_in_scope",
    "plan_requests",
    "push_pending",
    "reconcile_target",
    "scope_q",
    "survey",
    "sync_target",
]
