"""The one event accounts publishes: ``person_changed``.

Sent after the transaction that changed people commits (never inside it),
with keyword arguments:

- ``person_ids``: list[int], the people whose ``version`` was bumped (for a
  deletion, the ids that no longer exist);
- ``action``: str, a ``LifecycleEvent.Action`` value.

Receivers (provisioning's SCIM push) must treat it as a hint: the state-based
outbox compares each person's ``version`` with what a target has seen, so a
lost event delays a change but never loses it.
"""

from django.dispatch import Signal

person_changed = Signal()
