"""Writing a stored plan to people: ``apply_plan`` and its audit rows.

Set-based: bulk inserts and updates of people and bulk audit rows in one
transaction, so an import is all or nothing. Progress goes to the cache (the
transaction hides it from other connections). Identity-provider syncs write
their plans through ``apply_plan`` too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.db import BULK_ROWS, refresh_statistics
from accounts.invitations.invites import revoke_open_invitations_of
from accounts.models import LifecycleEvent, Person
from accounts.roles import Role
from accounts.services import (
    Actorish,
    deactivated_values,
    lock_manager_graph,
    notify_email_changes,
    publish,
    reactivated_values,
    record_events_bulk,
    revoke_api_tokens_of,
)
from provisioning.exceptions import StalePlan
from provisioning.imports import selectors
from provisioning.imports.models import ImportJob
from provisioning.imports.services.bulk import BATCH, insert_rows, update_rows
from provisioning.imports.services.confirm import check_apply_allowed
from provisioning.reconcile import Action

# Rows per COPY on PostgreSQL (progress is reported between them).
BULK = 10_000
_WRITE_ACTIONS = (Action.NEW, Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE)


def import_actor(job: ImportJob, by: Actorish) -> Actor:
    """Return the audit actor of an import: kind "import", naming who ran it."""
    if isinstance(by, Actor):
        return Actor(
            kind=LifecycleEvent.ActorKind.IMPORT,
            label=f"Spreadsheet import #{job.pk} by {by.label}",
            role=by.role,
        )
    return Actor(
        kind=LifecycleEvent.ActorKind.IMPORT,
        label=f"Spreadsheet import #{job.pk} by {by.display_name} <{by.email}>",
        role=by.role if by.is_active else Role.NONE,
    )


class _Progress:
    def __init__(self, job: ImportJob, total: int) -> None:
        self.key = selectors.progress_key(job.pk)
        self.total = total
        self.done = 0
        cache.set(self.key, {"processed": 0, "total": total}, 86_400)

    def add(self, n: int) -> None:
        self.done += n
        cache.set(self.key, {"processed": self.done, "total": self.total}, 86_400)


_PERSON_FIELDS = (
    "id",
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "manager_id",
    "job_title",
    "department",
    "phone_number",
    "location",
    "start_date",
    "status",
    "is_active",
    "claimed_at",
    "deactivated_at",
    "security_stamp",
    "version",
)


@transaction.atomic
def apply_plan(
    job: ImportJob,
    *,
    by: Actorish,
    actor: Actor | None = None,
    on_created: Callable[[dict[str, Any], int], None] | None = None,
) -> dict[str, int]:
    """Write the job's stored plan: bulk creates, updates, (re)activations, audit rows.

    ``actor`` names the change in the audit log (default: the spreadsheet
    import run by ``by``; identity-provider syncs name their source).
    ``on_created`` is called with each new row's stored entry and the id of
    the person created from it (so a caller need not read the plan again).
    Runs in one transaction (the caller's, if any). Each changed person's
    ``version`` goes up by one and ``person_changed`` is published per action
    after commit. Raises StalePlan when someone changed a planned person since
    the preview, NotAllowed for the wrong role; the database constraints
    (unique email and external ID, no self-manager) back the plan's checks.
    """
    check_apply_allowed(job, by)
    actor = actor or import_actor(job, by)
    now = timezone.now()
    entries: dict[str, list[dict[str, Any]]] = {a: [] for a in _WRITE_ACTIONS}
    for entry in selectors.iter_import_rows(job, _WRITE_ACTIONS):
        entries[entry["action"]].append(entry)
    progress = _Progress(job, sum(len(v) for v in entries.values()))
    lock_manager_graph()

    existing_entries = [
        e for a in (Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE) for e in entries[a]
    ]
    people = _lock_people([e["person_id"] for e in existing_entries])
    stale = [
        e
        for e in existing_entries
        if e["person_id"] not in people or people[e["person_id"]].version != e["version"]
    ]
    if stale:
        raise StalePlan(
            f"{len(stale):,} of the people in this import changed in Roster after the "
            f"preview was made (for example {stale[0]['email']}). Nothing was changed; "
            "make a new preview."
        )

    row_ids: dict[int, int] = {e["row"]: e["person_id"] for e in existing_entries if e["row"]}
    new_entries = entries[Action.NEW]
    postgres = connection.vendor == "postgresql"
    if postgres and new_entries:
        # Ids known up front let a new person's manager be someone created in
        # the same insert (foreign keys are checked at commit).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Person._meta.db_table, len(new_entries)],
            )
            for entry, (pk,) in zip(new_entries, cursor.fetchall(), strict=True):
                row_ids[entry["row"]] = pk

    def manager_id(entry: dict[str, Any]) -> int | None:
        ref = entry.get("manager")
        if ref is None:
            return None
        return ref[1] if ref[0] == "id" else row_ids[ref[1]]

    # New people, as column values (model instances cost more than the insert),
    # written with their audit rows one batch at a time to bound memory.
    audit = partial(
        record_events_bulk,
        by=actor,
        actor=by if isinstance(by, Person) else None,
        writer=partial(insert_rows, LifecycleEvent, with_pk=False),
    )
    created_ids: list[int] = []
    deferred_managers: list[tuple[int, dict[str, Any]]] = []
    for start in range(0, len(new_entries), BULK):
        batch = new_entries[start : start + BULK]
        rows = []
        for entry in batch:
            values = {name: new for name, (_, new) in entry.get("changes", {}).items()}
            status = values.pop("status", None) or Person.Status.STAGED
            values.pop("manager", None)
            values.update(
                source=job.source,
                status=status,
                is_active=False,
                deactivated_at=now if status == Person.Status.DEACTIVATED else None,
                created_at=now,
                updated_at=now,
                # What set_unusable_password() stores, without its slow per-character RNG.
                password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20),
            )
            if postgres:
                values["id"] = row_ids[entry["row"]]
                if "manager" in entry.get("changes", {}):
                    values["manager_id"] = manager_id(entry)
            rows.append(values)
        insert_rows(Person, rows, with_pk=postgres)
        audit(_created_events(rows, batch))
        for values, entry in zip(rows, batch, strict=True):
            created_ids.append(values["id"])
            if on_created is not None:
                on_created(entry, values["id"])
            if not postgres:
                row_ids[entry["row"]] = values["id"]
                if "manager" in entry.get("changes", {}):
                    deferred_managers.append((values["id"], entry))
        progress.add(len(rows))
        del rows
    if deferred_managers:
        Person.objects.bulk_update(
            [Person(id=pk, manager_id=manager_id(entry)) for pk, entry in deferred_managers],
            ["manager_id"],
            batch_size=BATCH,
        )

    # Existing people.
    changed: list[Person] = []
    fields: set[str] = set()
    email_changes: list[tuple[int, str, str]] = []
    for entry in existing_entries:
        person = people[entry["person_id"]]
        for name, (_, new) in entry.get("changes", {}).items():
            if name == "status":
                continue
            if name == "email":
                email_changes.append((person.pk, person.email, new))
            if name == "manager":
                person.manager_id = manager_id(entry)
                fields.add("manager_id")
            else:
                setattr(person, name, new)
                fields.add(name)
        if entry["action"] == Action.DEACTIVATE:
            values = deactivated_values(now=now)
        elif entry["action"] == Action.REACTIVATE:
            values = reactivated_values(has_claimed=person.claimed_at is not None)
        else:
            values = {}
        for name, value in values.items():
            setattr(person, name, value)
            fields.add(name)
        person.version += 1
        person.updated_at = now
        changed.append(person)
    if changed:
        update_fields = sorted(fields | {"version", "updated_at"})
        for start in range(0, len(changed), BULK):
            update_rows(Person, changed[start : start + BULK], update_fields)
            progress.add(len(changed[start : start + BULK]))

    # Deactivation revokes open invitations, as accounts' own service does.
    deactivated_ids = [e["person_id"] for e in entries[Action.DEACTIVATE]]
    revoke_open_invitations_of(deactivated_ids, reason="The person was deactivated.")
    revoke_api_tokens_of(deactivated_ids, now=now)
    notify_email_changes(email_changes)

    # Audit rows and the after-commit event.
    audit(_changed_events(entries, people))
    publish(created_ids, LifecycleEvent.Action.CREATED)
    for action, event_action in (
        (Action.UPDATE, LifecycleEvent.Action.UPDATED),
        (Action.DEACTIVATE, LifecycleEvent.Action.DEACTIVATED),
        (Action.REACTIVATE, LifecycleEvent.Action.REACTIVATED),
    ):
        publish([e["person_id"] for e in entries[action]], event_action)
    counts = {action: len(items) for action, items in entries.items()}
    if sum(counts.values()) >= BULK_ROWS:
        transaction.on_commit(partial(refresh_statistics, Person, LifecycleEvent))
    return counts


def _lock_people(ids: list[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    for start in range(0, len(ids), 10_000):
        batch = ids[start : start + 10_000]
        for person in Person.objects.select_for_update().filter(pk__in=batch).only(*_PERSON_FIELDS):
            people[person.pk] = person
    return people


def _created_events(
    rows: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> Iterable[tuple[int, str, str, dict[str, Any]]]:
    for values, entry in zip(rows, entries, strict=True):
        changes = dict(entry.get("changes", {}))
        status = changes.pop("status", None)
        # Person.display_name, from the values written.
        name = (
            values.get("full_name")
            or f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
            or values["email"]
        )
        yield values["id"], LifecycleEvent.Action.CREATED, name, changes
        if status:
            yield (
                values["id"],
                LifecycleEvent.Action.DEACTIVATED,
                name,
                {"status": [Person.Status.STAGED.value, Person.Status.DEACTIVATED.value]},
            )


def _changed_events(
    entries: dict[str, list[dict[str, Any]]], people: dict[int, Person]
) -> Iterable[tuple[int, str, str, dict[str, Any]]]:
    for action, event_action in (
        (Action.UPDATE, None),
        (Action.DEACTIVATE, LifecycleEvent.Action.DEACTIVATED),
        (Action.REACTIVATE, LifecycleEvent.Action.REACTIVATED),
    ):
        for entry in entries[action]:
            person = people[entry["person_id"]]
            changes = dict(entry.get("changes", {}))
            status = changes.pop("status", None)
            if changes:
                yield person.pk, LifecycleEvent.Action.UPDATED, str(person), changes
            if event_action and status:
                yield person.pk, event_action, str(person), {"status": status}
