"""Planning steps 3 and 4, managers: resolve each record's manager (named by email
or external ID, possibly another row of the batch), then reject rows whose
manager row was rejected and rows that would form a reporting loop in the
graph the batch makes on top of what exists."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from accounts.services import normalise_email
from provisioning.reconcile.snapshot import EMAIL, MANAGER, Snapshot, describe_person
from provisioning.reconcile.work import ErrorFn, Work


def plan_managers(
    works: list[Work],
    snapshot: Snapshot,
    error: ErrorFn,
    labels: dict[str, str],
    warn: ErrorFn | None = None,
) -> None:
    """Set each record's manager reference and the "manager" change, or its errors.

    With ``warn`` (a lenient plan), a manager who cannot be used (not in
    Roster or the batch, ambiguous, the person themself) leaves the manager
    empty with a warning instead.
    """
    people = snapshot.people
    if warn is not None:
        strict_error = error

        def error(work: Work, attribute: str, message: str) -> None:
            if attribute in ("manager_email", "manager_external_id"):
                warn(work, attribute, f"{message} The manager was left empty.")
                drop_manager(work, people)
            else:
                strict_error(work, attribute, message)

    by_email: dict[str, Work] = {}
    by_ext: dict[str, Work] = {}
    for work in works:
        if work.email:
            by_email.setdefault(work.email.lower(), work)
        if work.ext:
            by_ext.setdefault(work.ext, work)
    normalised: dict[str, str] = {}
    for work in works:
        record = work.record
        target: Work | int | None = None
        found = True
        column = "manager_email"
        if record.manager_external_id:
            column = "manager_external_id"
            target = by_ext.get(record.manager_external_id)
            if target is None:
                target = snapshot.by_external_id.get(record.manager_external_id)
            if target is None:
                found = False
                error(
                    work,
                    column,
                    f"No one with the {labels['external_id']} {record.manager_external_id} is "
                    "in Roster or in this file.",
                )
        if record.manager_email and found:
            key = normalised.get(record.manager_email)
            if key is None:
                key = normalised[record.manager_email] = normalise_email(
                    record.manager_email
                ).lower()
            by_mail: Work | int | None = by_email.get(key)
            if by_mail is None:
                by_mail = snapshot.by_email.get(key)
            if by_mail is None:
                found = False
                error(
                    work,
                    "manager_email",
                    f"No one with the email {record.manager_email} is in Roster or in this "
                    + ("import." if warn is not None else "file."),
                )
            elif target is None:
                target = by_mail
                column = "manager_email"
            elif _identity(target) != _identity(by_mail):
                found = False
                error(
                    work,
                    "manager_email",
                    f"{labels['manager_email']} and {labels['manager_external_id']} name "
                    "different people. Keep one of them, or make them agree.",
                )
        if not found:
            continue
        ref: list[Any] | None
        if target is None:
            ref = None
        elif isinstance(target, Work):
            ref = ["id", target.pid] if target.pid is not None else ["row", target.record.row]
        else:
            ref = ["id", target]
        if ref is not None and (
            (ref[0] == "id" and ref[1] == work.pid) or (ref[0] == "row" and ref[1] == record.row)
        ):
            error(work, column, "A person cannot be their own manager.")
            continue
        work.manager_set = True
        work.manager_ref = ref
        target_work = target if isinstance(target, Work) else None
        new_email = None
        if target_work is not None:
            new_email = target_work.email
        elif isinstance(target, int):
            new_email = people[target][EMAIL]
        if work.pid is None:
            if ref is not None:
                work.changes["manager"] = [None, new_email]
        else:
            old_id = people[work.pid][MANAGER]
            if ref is None and old_id is None:
                continue
            if ref is not None and ref[0] == "id" and ref[1] == old_id:
                continue
            old_email = people[old_id][EMAIL] if old_id in people else None
            work.changes["manager"] = [old_email, new_email]


def drop_manager(work: Work, people: dict[int, tuple[Any, ...]]) -> None:
    """Plan the record's manager as empty (clearing the one Roster holds)."""
    work.manager_set = True
    work.manager_ref = None
    work.changes.pop("manager", None)
    if work.pid is not None:
        old_id = people[work.pid][MANAGER]
        if old_id is not None:
            work.changes["manager"] = [people[old_id][EMAIL] if old_id in people else None, None]


def _identity(target: Work | int) -> tuple[str, int]:
    if isinstance(target, Work):
        return ("id", target.pid) if target.pid is not None else ("row", target.record.row)
    return ("id", target)


def settle(
    works: list[Work], snapshot: Snapshot, error: ErrorFn, warn: ErrorFn | None = None
) -> None:
    """Reject rows whose manager row was rejected and rows forming reporting loops.

    With ``warn`` (a lenient plan) such rows are kept with the manager empty
    and a warning: a rejected manager never takes their reports with them.
    """
    by_row = {w.record.row: w for w in works}
    dependants: dict[int, list[Work]] = defaultdict(list)
    for work in works:
        ref = work.manager_ref
        if work.manager_set and ref is not None and ref[0] == "row":
            dependants[ref[1]].append(work)
    people = snapshot.people
    while True:
        # Rows naming a new manager whose own row is rejected.
        queue = [w for w in works if w.errors]
        seen = {id(w) for w in queue}
        while queue:
            rejected = queue.pop()
            for work in dependants.get(rejected.record.row, ()):
                if id(work) in seen or work.manager_ref is None:
                    continue
                column = (
                    "manager_external_id" if work.record.manager_external_id else "manager_email"
                )
                seen.add(id(work))
                if warn is not None:
                    warn(
                        work,
                        column,
                        f"The manager ({rejected.email or rejected.record.email}) could not be "
                        "imported, so the manager was left empty.",
                    )
                    drop_manager(work, people)
                    continue
                error(
                    work,
                    column,
                    f"The manager is on row {rejected.record.row}, which has errors, so this "
                    "row cannot be imported either.",
                )
                queue.append(work)
        # Reporting loops in the graph the valid rows would produce.
        parent: dict[int, int | None] = {}
        setter: dict[int, Work] = {}
        starts: list[int] = []
        for work in works:
            if work.errors or not work.manager_set:
                continue
            node = work.pid if work.pid is not None else -work.record.row
            ref = work.manager_ref
            if ref is None:
                parent[node] = None
            elif ref[0] == "id":
                parent[node] = ref[1]
            else:
                target = by_row[ref[1]]
                parent[node] = target.pid if target.pid is not None else -target.record.row
            setter[node] = work
            starts.append(node)
        state: dict[int, int] = {}
        looped: list[list[int]] = []
        for start in starts:
            path: list[int] = []
            current: int | None = start
            while current is not None and current not in state:
                state[current] = 1
                path.append(current)
                current = (
                    parent[current]
                    if current in parent
                    else (people[current][MANAGER] if current in people else None)
                )
            if current is not None and state.get(current) == 1:
                looped.append(path[path.index(current) :])
            for visited in path:
                state[visited] = 2
        if not looped:
            return
        for loop in looped:
            names = []
            for node in loop:
                if node in setter:
                    names.append(setter[node].name or setter[node].email)
                else:
                    names.append(describe_person(people[node]))
            chain = " → ".join([*names, names[0]])
            for node in loop:
                looping = setter.get(node)
                if looping is not None:
                    column = (
                        "manager_external_id"
                        if looping.record.manager_external_id
                        else "manager_email"
                    )
                    if warn is not None:
                        warn(
                            looping,
                            column,
                            f"This manager would create a reporting loop: {chain}. "
                            "The manager was left empty.",
                        )
                        drop_manager(looping, people)
                        continue
                    error(
                        looping,
                        column,
                        f"This manager would create a reporting loop: {chain}.",
                    )
