"""The events accounts publishes: ``person_changed``, ``person_deactivating``
and ``organisation_changed``.

``person_changed``:

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

# Sent inside the transaction that deactivates one person, with ``person``
# (the Person, already saved as deactivated). Receivers do their part of the
# deactivation in the same transaction: accounts.invitations revokes the open
# invitations and cancels queued emails. The people services send it instead
# of calling invitations, which build on them.
person_deactivating = Signal()

# Sent after the transaction that saved the organisation's settings commits,
# with ``fields``: list[str], the settings that changed (e.g. "time_zone").
# Provisioning moves the SCIM targets' full-sync schedules, which run at an
# hour in the organisation's time zone.
organisation_changed = Signal()
