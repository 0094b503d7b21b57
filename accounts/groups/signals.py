"""``groups_changed``: sent after the transaction that changed groups commits.

Keyword arguments: ``group_ids`` (list[int]; for a deletion, ids that no
longer exist) and ``action`` ("created", "updated", "members", "deleted").
Receivers (provisioning's SCIM push) treat it as a hint: each group's
``version`` says what a target has not yet seen.
"""

from django.dispatch import Signal

groups_changed = Signal()
