"""Pushing groups and their members to a SCIM target, through the same outbox idea.

Each (group, target) link records the remote id, the members the target
confirmed and the group ``version`` it has seen. A pass creates missing
groups, sends member changes as PATCH requests of at most the target's
batch size (``group_batch``: set on the target, or derived from what it
advertises; halved when it answers 413), renames, and deletes groups that
were deleted or left the scope. Members are sent only once their own user
exists on the target (their person link has a remote id); until then the
group stays pending, so the next pass (after the people push, or the sweep)
adds them. A 409 on create adopts the remote group with the same
displayName and reads its members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Group, GroupMembership
from provisioning.scim.client import Conflict, NotFound, ScimClient, ScimError
from provisioning.scim.client import groups as remote
from provisioning.scim.group_batch import effective_batch, is_too_large, remember_batch
from provisioning.scim.group_models import ScimGroupLink
from provisioning.scim.models import ScimLink, ScimTarget
from provisioning.scim.push.connect import client_for
from provisioning.scim.push.outbox import scope_q

logger = logging.getLogger(__name__)


@dataclass
class GroupPushOutcome:
    """What a pass of group pushes did, and the requests it would or did send."""

    created: int = 0
    adopted: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    waiting_members: int = 0
    requests: int = 0
    planned: list[dict[str, Any]] = field(default_factory=list)


def groups_in_scope(target: ScimTarget) -> QuerySet[Group]:
    """Return the groups the target receives: none unless ``push_groups``."""
    if not target.push_groups:
        return Group.objects.none()
    groups = Group.objects.all()
    if target.scope_groups:
        groups = groups.filter(pk__in=target.scope_groups)
    return groups


def ensure_group_links(target: ScimTarget) -> int:
    """Create the missing links of groups in scope; return how many."""
    have = ScimGroupLink.objects.filter(target=target).values("group_ref")
    missing = groups_in_scope(target).exclude(pk__in=have).values_list("pk", flat=True)
    links = [ScimGroupLink(target=target, group_id=pk, group_ref=pk) for pk in missing]
    ScimGroupLink.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)


def pending_group_links(target: ScimTarget) -> QuerySet[ScimGroupLink]:
    """Return the links needing a request: changed, deleted, or out of scope."""
    in_scope = groups_in_scope(target).values("pk")
    changed = Q(group__isnull=False, synced_version__lt=F("group__version")) & (
        Q(failed_version__isnull=True) | ~Q(failed_version=F("group__version"))
    )
    gone = Q(group__isnull=True) | ~Q(group_ref__in=in_scope)
    return ScimGroupLink.objects.filter(target=target).filter(changed | gone)


def _remote_ids(target: ScimTarget, person_ids: list[int]) -> dict[int, str]:
    rows = ScimLink.objects.filter(
        target=target, person_ref__in=person_ids, remote_id__isnull=False
    ).values_list("person_ref", "remote_id")
    return {pk: rid for pk, rid in rows if rid}


def _desired(target: ScimTarget, group: Group) -> tuple[dict[int, str], int]:
    """Return {person id: remote id} of members the target can receive, and how many wait."""
    members = GroupMembership.objects.filter(group=group).filter(scope_q(target, prefix="person__"))
    ids = list(members.values_list("person_id", flat=True))
    remote_ids = _remote_ids(target, ids)
    return remote_ids, len(ids) - len(remote_ids)


class _Pass:
    def __init__(self, target: ScimTarget, client: ScimClient | None, outcome: GroupPushOutcome):
        self.target, self.client, self.outcome = target, client, outcome
        self.batch = effective_batch(target)
        self.shrunk = False

    def c(self) -> ScimClient:
        assert self.client is not None
        return self.client

    def send(self, method: str, path: str, body: Any, call: Any) -> Any:
        self.outcome.planned.append({"method": method, "path": path, "body": body})
        if self.client is None:  # dry run
            return None
        return call()

    def delete(self, link: ScimGroupLink) -> None:
        remote_id = link.remote_id
        if remote_id:
            self.send(
                "DELETE",
                f"/Groups/{remote_id}",
                None,
                lambda: remote.delete_group(self.c(), remote_id),
            )
        if self.client is not None:
            link.delete()
        self.outcome.deleted += 1

    def adopt(self, group: Group) -> tuple[str, set[int]]:
        remote_id = remote.find_group(self.c(), group.name)
        if remote_id is None:
            raise ScimError(f"The target refused group {group.name} as a duplicate.")
        body = self.c()._request("GET", f"/Groups/{remote_id}").json()
        remote_members = {str(m.get("value")) for m in body.get("members") or []}
        by_remote = dict(
            ScimLink.objects.filter(target=self.target, remote_id__in=remote_members).values_list(
                "remote_id", "person_ref"
            )
        )
        self.outcome.adopted += 1
        return remote_id, {int(by_remote[r]) for r in remote_members if r in by_remote}

    def smaller(self, exc: ScimError, sent: int) -> bool:
        """After a refusal of ``sent`` members, halve the batch; False if that cannot help."""
        if self.client is None or not is_too_large(exc) or sent <= 1:
            return False
        self.batch = sent // 2
        self.shrunk = True
        logger.info(
            "%s refused %d members in one request; trying %d.", self.target, sent, sent // 2
        )
        return True

    def accepted(self) -> None:
        """Remember a halved batch once the target accepted a request of that size."""
        if self.shrunk:
            remember_batch(self.target, self.batch)
            self.shrunk = False

    def create(self, link: ScimGroupLink, group: Group, desired: dict[int, str]) -> set[int]:
        """POST the group with its first batch of members; return the members sent."""
        while True:
            first = sorted(desired)[: self.batch]
            body = {"displayName": group.name, "members": [{"value": desired[pk]} for pk in first]}
            try:
                created = self.send(
                    "POST",
                    "/Groups",
                    body,
                    lambda first=first: remote.create_group(
                        self.c(),
                        display_name=group.name,
                        external_id=group.external_id,
                        member_ids=[desired[pk] for pk in first],
                    ),
                )
            except ScimError as exc:
                # A refused POST created nothing: send it again, smaller.
                if not self.smaller(exc, len(first)):
                    raise
                continue
            self.accepted()
            link.remote_id = created
            return set(first)

    def push(self, link: ScimGroupLink, group: Group) -> None:
        version = group.version
        desired, waiting = _desired(self.target, group)
        confirmed = {int(pk) for pk in link.members}
        self.batch, self.shrunk = effective_batch(self.target), False
        if not link.remote_id:
            confirmed = self.create(link, group, desired)
            self.outcome.created += 1
            link.display_name = group.name
            self._save(link, confirmed)
        elif link.display_name != group.name:
            remote_id = link.remote_id
            ops = [{"op": "replace", "path": "displayName", "value": group.name}]
            self.send(
                "PATCH",
                f"/Groups/{remote_id}",
                ops,
                lambda: remote.patch_group(self.c(), remote_id, ops),
            )
            link.display_name = group.name
            self._save(link, confirmed)
        add = sorted(set(desired) - confirmed)
        remove = sorted(confirmed - set(desired))
        remove_remote = _remote_ids(self.target, remove)
        changed = bool(add or remove)
        while add or remove:
            take_add = add[: self.batch]
            take_remove = remove[: self.batch - len(take_add)]
            ops = remote.member_operations(
                add=[desired[pk] for pk in take_add],
                remove=[remove_remote[pk] for pk in take_remove if pk in remove_remote],
            )
            if ops:
                remote_id = link.remote_id or ""
                try:
                    self.send(
                        "PATCH",
                        f"/Groups/{remote_id}",
                        ops,
                        lambda ops=ops, rid=remote_id: remote.patch_group(self.c(), rid, ops),
                    )
                except ScimError as exc:
                    # A refused PATCH applied nothing (RFC 7644 3.5.2: all
                    # operations or none): the same changes go again, fewer
                    # at a time; what was confirmed stays confirmed.
                    if not self.smaller(exc, len(take_add) + len(take_remove)):
                        raise
                    continue
                self.accepted()
            add, remove = add[len(take_add) :], remove[len(take_remove) :]
            confirmed = (confirmed | set(take_add)) - set(take_remove)
            self._save(link, confirmed)
        if changed:
            self.outcome.updated += 1
        self.outcome.waiting_members += waiting
        if waiting == 0 and self.client is not None:
            link.synced_version = version
            link.failed_version = None
            link.last_error = ""
            link.save(update_fields=["synced_version", "failed_version", "last_error"])

    def _save(self, link: ScimGroupLink, confirmed: set[int]) -> None:
        # Recorded after each confirmed request: a lost worker resends only
        # what the target has not confirmed.
        if self.client is None:
            return
        link.members = sorted(confirmed)
        link.last_pushed_at = timezone.now()
        link.save(update_fields=["remote_id", "display_name", "members", "last_pushed_at"])


def push_groups(
    target_id: int, *, client: ScimClient | None = None, dry_run: bool = False
) -> GroupPushOutcome:
    """Push the target's pending groups and memberships; return what was sent.

    Idempotent: a group whose version and members the target confirmed is
    not pending. A transient error stops the pass (the next one resumes); a
    permanent one is recorded on that group's link. With ``dry_run``, send
    nothing and list the requests in ``planned``.
    """
    outcome = GroupPushOutcome()
    target = ScimTarget.objects.filter(pk=target_id).first()
    if target is None or not (target.push_groups or target.group_links.exists()):
        return outcome
    if dry_run:
        links = list(
            groups_in_scope(target).exclude(
                pk__in=ScimGroupLink.objects.filter(target=target).values("group_ref")
            )
        )
        step = _Pass(target, None, outcome)
        for group in links:
            step.push(ScimGroupLink(target=target, group=group, group_ref=group.pk), group)
        for link in pending_group_links(target).select_related("group"):
            if link.group is None or not groups_in_scope(target).filter(pk=link.group_ref):
                step.delete(link)
            else:
                step.push(link, link.group)
        return outcome
    ensure_group_links(target)
    own = client is None
    client = client or client_for(target)
    before = client.requests_sent
    step = _Pass(target, client, outcome)
    try:
        in_scope = set(groups_in_scope(target).values_list("pk", flat=True))
        for link in pending_group_links(target).select_related("group").order_by("pk"):
            try:
                if link.group is None or link.group_ref not in in_scope:
                    step.delete(link)
                    continue
                try:
                    step.push(link, link.group)
                except Conflict:
                    link.remote_id, confirmed = step.adopt(link.group)
                    link.display_name = link.group.name
                    step._save(link, confirmed)
                    step.push(link, link.group)
            except NotFound:
                # The remote group is gone: create it again on the next pass.
                link.remote_id, link.members = None, []
                link.save(update_fields=["remote_id", "members"])
            except ScimError as exc:
                if exc.transient:
                    logger.warning("Group push to %s paused: %s", target.name, exc.message)
                    break
                outcome.failed += 1
                link.last_error = exc.message[:2000]
                link.failed_version = link.group.version if link.group else None
                link.save(update_fields=["last_error", "failed_version"])
    finally:
        outcome.requests = client.requests_sent - before
        if own:
            client.close()
    return outcome


def has_pending_groups(target: ScimTarget) -> bool:
    """Tell whether the target has group work to do (for the sweep)."""
    if not (target.push_groups or target.group_links.exists()):
        return False
    ensure_group_links(target)
    return pending_group_links(target).exists()
