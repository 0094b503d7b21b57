"""The audit trail and the after-commit ``person_changed`` publication.

Every service writes its ``LifecycleEvent`` rows through here, in its own
transaction, and publishes the people it changed once that transaction
commits (see accounts.signals).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction

from accounts.actors import describe
from accounts.models import LifecycleEvent, Person
from accounts.services.permissions import Actorish
from accounts.signals import person_changed


def record_event(
    person: Person | None,
    action: str,
    *,
    by: Actorish,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    subject: str | None = None,
    person_ref: int | None = None,
    subject_kind: str = LifecycleEvent.SubjectKind.PERSON,
) -> LifecycleEvent:
    """Write one audit row in the caller's transaction."""
    kind, label, actor_person = describe(by)
    return LifecycleEvent.objects.create(
        person=person,
        person_ref=person.pk if person else person_ref,
        subject=subject if subject is not None else (str(person) if person else ""),
        subject_kind=subject_kind,
        action=action,
        actor=actor_person,
        actor_kind=kind,
        actor_label=label,
        changes=changes or {},
        reason=reason,
    )


def record_events_bulk(
    events: Iterable[tuple[int, str, str, dict[str, Any]]],
    *,
    by: Actorish,
    actor: Person | None = None,
    batch_size: int = 2000,
    writer: Any = None,
) -> int:
    """Write one audit row per (person id, action, subject, changes) in the caller's
    transaction; ``actor`` is the person behind a non-person ``by``. ``writer``
    (a callable taking the rows as {attname: value} dicts) replaces
    bulk_create, e.g. with COPY. Return the count."""
    kind, label, actor_person = describe(by)
    actor_person = actor_person or actor
    actor_id = actor_person.pk if actor_person is not None else None
    rows = [
        {
            "person_id": pk,
            "person_ref": pk,
            "subject": subject[:300],
            "action": action,
            "actor_id": actor_id,
            "actor_kind": kind,
            "actor_label": label[:300],
            "changes": changes,
            "reason": "",
        }
        for pk, action, subject, changes in events
    ]
    if writer is not None:
        writer(rows)
    else:
        LifecycleEvent.objects.bulk_create(
            [LifecycleEvent(**row) for row in rows], batch_size=batch_size
        )
    return len(rows)


@transaction.atomic
def record_password_change(person: Person, *, by: Actorish) -> LifecycleEvent:
    """Audit a password that was already changed (sign-in pages change it themselves)."""
    return record_event(person, LifecycleEvent.Action.PASSWORD_SET, by=by)


def publish(person_ids: Iterable[int], action: str) -> None:
    """Send ``person_changed`` once the current transaction commits."""
    ids = list(person_ids)
    if ids:
        transaction.on_commit(
            partial(person_changed.send, sender=Person, person_ids=ids, action=action)
        )
