"""Sending: the requests one claimed link needs (create, adopt, update, deactivate, delete).

``PushEngine.decide`` compares a person with what Roster last confirmed on
the target and sends the requests that close the gap, outside any
transaction. It returns a Result for the record step; a ScimError it raises
is recorded as a failure.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Person
from provisioning.scim import mapping
from provisioning.scim.client import Conflict, NotFound, RemoteUser, ScimClient
from provisioning.scim.models import ScimTarget
from provisioning.scim.push.build import desired_for
from provisioning.scim.push.outbox import in_scope
from provisioning.scim.push.work import PushOutcome, Result, Work


class PushEngine:
    """Send the requests for claimed links of one target and record the results."""

    def __init__(self, target: ScimTarget, client: ScimClient, outcome: PushOutcome):
        self.target = target
        self.client = client
        self.outcome = outcome
        self.mapping = mapping.effective_mapping(target.attribute_mapping)
        self.caps = client.capabilities

    def decide(self, w: Work) -> Result:
        """Send what one link needs and return the result."""
        link, values = w.link, w.values
        if values is None:
            if link.remote_id:
                self.client.delete_user(link.remote_id)
                return Result("deleted", None, {}, drop=True)
            return Result("unchanged", None, {}, sent=False, drop=True)
        scoped = in_scope(self.target, values)
        active = scoped and values["status"] != Person.Status.DEACTIVATED
        if not active:
            return self._deactivate(w, scoped)
        desired = desired_for(
            self.target, values, w.manager_remote_id, active=True, mapping_=self.mapping
        )
        needs_manager = bool(values["manager_id"]) and w.manager_remote_id is None
        if link.remote_id is None:
            return self.create(w, desired, needs_manager)
        return self._update(w, link.remote_id, link.snapshot, desired, needs_manager)

    def _deactivate(self, w: Work, scoped: bool) -> Result:
        link = w.link
        if link.remote_id is None:
            return Result("unchanged", None, {}, sent=False)
        if self.target.deactivation == ScimTarget.Deactivation.DELETE:
            self.client.delete_user(link.remote_id)
            return Result("deactivated", None, {})
        if scoped:
            desired = desired_for(
                self.target,
                w.values or {},
                w.manager_remote_id,
                active=False,
                mapping_=self.mapping,
            )
        else:
            desired = {**link.snapshot, "active": False}
        changed = mapping.diff(link.snapshot, desired)
        if not changed:
            return Result("unchanged", link.remote_id, link.snapshot, sent=False)
        try:
            self._send_update(link.remote_id, desired, changed)
        except NotFound:
            return Result("deactivated", None, {})
        return Result("deactivated", link.remote_id, desired)

    def _send_update(self, remote_id: str, desired: dict[str, Any], changed: list[str]) -> None:
        if self.caps.patch:
            self.client.patch_user(remote_id, mapping.patch_operations(desired, changed))
        else:
            self.client.replace_user(remote_id, mapping.to_resource(desired))

    def _update(
        self,
        w: Work,
        remote_id: str,
        snapshot: dict[str, Any],
        desired: dict[str, Any],
        needs_manager: bool,
        counter: str = "updated",
    ) -> Result:
        changed = mapping.diff(snapshot, desired)
        if not changed:
            return Result(
                "unchanged" if counter == "updated" else counter,
                remote_id,
                snapshot,
                needs_manager=needs_manager,
                sent=False,
            )
        try:
            self._send_update(remote_id, desired, changed)
        except NotFound:
            # Deleted on the target behind Roster's back: create it again.
            return self.create(w, desired, needs_manager, lookup=False)
        return Result(counter, remote_id, desired, needs_manager=needs_manager)

    def _adopt(
        self, w: Work, remote: RemoteUser, desired: dict[str, Any], needs_manager: bool
    ) -> Result:
        snapshot = mapping.flatten(remote.payload, set(desired) | {"active"})
        return self._update(w, remote.id, snapshot, desired, needs_manager, counter="adopted")

    def create(
        self, w: Work, desired: dict[str, Any], needs_manager: bool, lookup: bool | None = None
    ) -> Result:
        """Create the user, or adopt the one the target already holds under its userName.

        Looks the user up first when ``lookup`` (by default: when the link was
        marked for it), and after a 409.
        """
        if lookup is None:
            lookup = w.needed_lookup
        user_name = str(desired.get("userName", ""))
        if w.found is not None:
            return self._adopt(w, w.found, desired, needs_manager)
        if lookup and user_name:
            found = self.client.find_user(user_name)
            if found is not None:
                return self._adopt(w, found, desired, needs_manager)
        try:
            created = self.client.create_user(mapping.to_resource(desired))
        except Conflict:
            found = self.client.find_user(user_name)
            if found is None:
                raise
            return self._adopt(w, found, desired, needs_manager)
        return Result("created", created.id, desired, needs_manager=needs_manager)
