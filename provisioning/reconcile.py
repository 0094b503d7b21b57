"""Compare external records with what Roster holds and plan every change.

Source-agnostic: spreadsheets and identity-provider connectors hand over
``ExternalRecord`` objects and a ``Snapshot`` of the people Roster holds (one
query, loaded by ``provisioning.imports.selectors.load_snapshot``); ``compute_plan``
works in memory and returns a ``Plan``: one ``PlanRow`` per record (new,
update, unchanged, deactivate, reactivate, error) plus deactivations of people
missing from a complete list. Nothing here writes.

People are matched by external ID when the record has one, else by email
(case-insensitive). A manager is named by email or by external ID and may be
someone else in the same batch; reporting loops in the resulting graph (the
batch on top of what exists) are errors on the rows that form them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.phones import InvalidPhoneNumber, normalise_phone
from accounts.services import email_problem, normalise_email
from provisioning.records import ATTRIBUTE_LABELS, ExternalRecord


class Action:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    # A change to someone who holds a staff role: sources never make it.
    SKIPPED = "skipped"
    ERROR = "error"

    ALL = ("error", "new", "update", "deactivate", "reactivate", "skipped", "unchanged")
    # The key each action is counted under in ImportJob.counts.
    COUNT_KEYS = {
        "new": "new",
        "update": "updated",
        "unchanged": "unchanged",
        "deactivate": "deactivated",
        "reactivate": "reactivated",
        "skipped": "skipped",
        "error": "errors",
    }


# Person attributes a record sets directly, in display order.
TEXT_FIELDS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "department",
    "phone_number",
    "location",
)
DEFAULT_LABELS = ATTRIBUTE_LABELS

# Snapshot tuple positions (see provisioning.imports.selectors.SNAPSHOT_FIELDS).
ID, EMAIL, EXT, FIRST, LAST, FULL, MANAGER, TITLE, DEPT, PHONE, LOCATION = range(11)
STATUS, CLAIMED, VERSION, SOURCE, ROLE = 11, 12, 13, 14, 15
_FIELD_POS = {
    "email": EMAIL,
    "external_id": EXT,
    "first_name": FIRST,
    "last_name": LAST,
    "full_name": FULL,
    "job_title": TITLE,
    "department": DEPT,
    "phone_number": PHONE,
    "location": LOCATION,
}
DEACTIVATED = "deactivated"
STAFF_ROLE_LABELS = {
    "admin": "System administrator",
    "account_manager": "Account manager",
    "auditor": "Auditor",
}


def staff_skip_reason(person: tuple[Any, ...]) -> str | None:
    """Why a source may not change this snapshot person (a staff member), or None.

    Only System administrators change staff, in Roster: a spreadsheet or a
    directory that renames an administrator's email could otherwise take
    over their account.
    """
    role = person[ROLE] if len(person) > ROLE else ""
    if not role:
        return None
    return (
        f"{person[FULL] or person[EMAIL]} holds the {STAFF_ROLE_LABELS.get(role, role)} role "
        "in Roster, so imports and identity providers do not change them. A System "
        "administrator can change them in Roster."
    )


@dataclass
class Snapshot:
    """The people Roster holds, as tuples keyed by id, with lookup indexes."""

    people: dict[int, tuple[Any, ...]]
    by_email: dict[str, int]
    by_external_id: dict[str, int]
    allowed_domains: frozenset[str] = frozenset()
    max_lengths: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[Any, ...]],
        *,
        allowed_domains: Iterable[str] = (),
        max_lengths: dict[str, int] | None = None,
    ) -> Snapshot:
        people: dict[int, tuple[Any, ...]] = {}
        by_email: dict[str, int] = {}
        by_ext: dict[str, int] = {}
        for row in rows:
            people[row[ID]] = row
            by_email[row[EMAIL].lower()] = row[ID]
            if row[EXT]:
                by_ext[row[EXT]] = row[ID]
        return cls(
            people,
            by_email,
            by_ext,
            frozenset(d.lower() for d in allowed_domains),
            max_lengths or {},
        )


@dataclass(frozen=True)
class PlanOptions:
    """How to read the records: which attributes they carry, and what else to do."""

    source: str = "spreadsheet"
    # Attributes present in the source; others are left as they are.
    attributes: frozenset[str] = frozenset(DEFAULT_LABELS)
    complete_list: bool = False
    # The person applying (never deactivated by their own import).
    actor_id: int | None = None
    # How to name each attribute in messages (the file's own headers).
    labels: dict[str, str] = field(default_factory=dict)
    deactivation_share: float = 0.10
    deactivation_max: int = 50


@dataclass(slots=True)
class PlanRow:
    """What happens to one record (or to one person missing from a complete list)."""

    action: str
    row: int | None
    email: str
    name: str = ""
    person_id: int | None = None
    version: int | None = None
    # field -> [old, new]; "manager" shows emails; "status" for (re)activations
    changes: dict[str, list[Any]] = field(default_factory=dict)
    # ["id", person id] or ["row", row number] or None (no manager); only set
    # when "manager" is in changes.
    manager: list[Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] | None = None
    # Why a skipped row changes nothing.
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "action": self.action, "email": self.email}
        if self.name:
            data["name"] = self.name
        if self.person_id is not None:
            data["person_id"] = self.person_id
            data["version"] = self.version
        if self.changes:
            data["changes"] = self.changes
        if "manager" in self.changes:
            data["manager"] = self.manager
        if self.errors:
            data["errors"] = self.errors
        if self.raw is not None:
            data["raw"] = self.raw
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class Plan:
    """Every planned change, and the figures a preview shows."""

    rows: list[PlanRow]
    source: str
    deactivation_threshold: int
    source_population: int

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Action.COUNT_KEYS.values(), 0)
        for row in self.rows:
            counts[Action.COUNT_KEYS[row.action]] += 1
        return counts

    def by_action(self, action: str) -> list[PlanRow]:
        return [r for r in self.rows if r.action == action]


def deactivation_threshold(population: int, *, share: float, maximum: int) -> int:
    """How many deactivations an import may make without a typed confirmation."""
    return min(int(population * share), maximum)


class _Work:
    """Mutable per-record state while planning."""

    __slots__ = (
        "changes",
        "email",
        "errors",
        "ext",
        "manager_ref",
        "manager_set",
        "name",
        "pid",
        "record",
        "status",
    )

    def __init__(self, record: ExternalRecord) -> None:
        self.record = record
        self.errors: list[dict[str, Any]] = []
        self.pid: int | None = None
        self.email = ""
        self.ext: str | None = None
        self.name = ""
        self.changes: dict[str, list[Any]] = {}
        self.manager_ref: list[Any] | None = None
        self.manager_set = False
        self.status: str | None = None


def compute_plan(
    records: Sequence[ExternalRecord], snapshot: Snapshot, options: PlanOptions
) -> Plan:
    """Plan what ``records`` change in Roster; pure, in memory, no queries."""
    labels = {**DEFAULT_LABELS, **options.labels}
    attrs = options.attributes
    people = snapshot.people
    works = [_Work(r) for r in records]

    def error(work: _Work, attribute: str, message: str) -> None:
        column = labels.get(attribute, attribute)
        for name, header in work.record.columns:
            if name == attribute:
                column = header
        work.errors.append({"column": column, "message": message})

    # 1. Identity: normalise keys, find duplicates within the batch, match.
    # First occurrences only; a list is made for keys seen twice (memory).
    first_email: dict[str, _Work] = {}
    first_ext: dict[str, _Work] = {}
    email_rows: dict[str, list[_Work]] = {}
    ext_rows: dict[str, list[_Work]] = {}
    for work in works:
        record = work.record
        work.email = normalise_email(record.email) if record.email else ""
        work.ext = record.external_id or None
        if work.email:
            key = work.email.lower()
            seen = first_email.setdefault(key, work)
            if seen is not work:
                email_rows.setdefault(key, [seen]).append(work)
        if work.ext:
            seen = first_ext.setdefault(work.ext, work)
            if seen is not work:
                ext_rows.setdefault(work.ext, [seen]).append(work)
    del first_email, first_ext
    for key, group in email_rows.items():
        if len(group) > 1:
            where = _rows_text(w.record.row for w in group)
            for work in group:
                error(
                    work,
                    "email",
                    f"The email {key} appears on rows {where}. Each person can appear only once.",
                )
    for key, group in ext_rows.items():
        if len(group) > 1:
            where = _rows_text(w.record.row for w in group)
            for work in group:
                error(
                    work,
                    "external_id",
                    f"The {labels['external_id']} {key} appears on rows {where}. "
                    "Each person can appear only once.",
                )

    matched_by: dict[int, _Work] = {}
    for work in works:
        if not work.email:
            error(work, "email", "The email is missing. Every person needs a work email.")
            continue
        key = work.email.lower()
        owner = snapshot.by_email.get(key)
        if work.ext and work.ext in snapshot.by_external_id:
            pid = snapshot.by_external_id[work.ext]
            if owner is not None and owner != pid:
                error(
                    work,
                    "email",
                    f"Another person ({_describe(people[owner])}) already has the email "
                    f"{work.email}.",
                )
        elif owner is not None:
            pid = owner
            current_ext = people[pid][EXT]
            if work.ext and current_ext and current_ext != work.ext:
                error(
                    work,
                    "external_id",
                    f"The email {work.email} belongs to {_describe(people[pid])}, whose "
                    f"{labels['external_id']} is {current_ext}, not {work.ext}. "
                    "Correct the email or the ID.",
                )
        else:
            pid = None
        if pid is not None:
            earlier = matched_by.get(pid)
            if earlier is not None and not work.errors:
                error(
                    work,
                    "email",
                    f"This row and row {earlier.record.row} are the same person "
                    f"({_describe(people[pid])}).",
                )
            elif earlier is None:
                matched_by[pid] = work
            work.pid = pid

    # 2. Attributes: validate each cell, then diff against the match.
    phone_cache: dict[str, str | InvalidPhoneNumber] = {}
    max_lengths = snapshot.max_lengths
    text_fields = [f for f in TEXT_FIELDS if f in attrs]
    names_given = "first_name" in attrs or "last_name" in attrs
    for work in works:
        record = work.record
        for attribute, message in record.problems:
            error(work, attribute, message)
        values: dict[str, Any] = {}
        for name in text_fields:
            value = work.email if name == "email" else getattr(record, name)
            limit = max_lengths.get(name)
            if limit and len(value) > limit:
                error(
                    work,
                    name,
                    f"This is {len(value):,} characters long; {labels[name]} holds at most "
                    f"{limit:,}.",
                )
                continue
            values[name] = value
        if work.email and "email" in values:
            problem = email_problem(work.email, allowed_domains=snapshot.allowed_domains)
            if problem:
                error(work, "email", problem)
        existing = people[work.pid] if work.pid is not None else None
        if values.get("phone_number"):
            raw = values["phone_number"]
            compact = raw.replace(" ", "")
            if existing is not None and compact == existing[PHONE]:
                values["phone_number"] = existing[PHONE]
            else:
                cached = phone_cache.get(raw)
                if cached is None:
                    try:
                        cached = normalise_phone(raw)
                    except InvalidPhoneNumber as exc:
                        cached = exc
                    if len(phone_cache) < 5_000:  # shared numbers repeat; most do not
                        phone_cache[raw] = cached
                if isinstance(cached, InvalidPhoneNumber):
                    error(work, "phone_number", str(cached))
                else:
                    values["phone_number"] = cached
        if "external_id" in values and not values["external_id"]:
            # A blank ID never clears one Roster already holds.
            del values["external_id"]
        if existing is None:
            first = values.get("first_name", "")
            last = values.get("last_name", "")
            if not values.get("full_name"):
                values["full_name"] = f"{first} {last}".strip()
            work.name = values["full_name"] or work.email
            work.changes = {
                name: [None, value] for name, value in values.items() if value not in ("", None)
            }
            if "external_id" in values:
                values["external_id"] = values["external_id"] or None
        else:
            if not values.get("full_name"):
                # Like update_person: a blank or automatic full name follows the
                # first and last names; one typed by hand is kept.
                first = values.get("first_name", existing[FIRST])
                last = values.get("last_name", existing[LAST])
                old_auto = f"{existing[FIRST]} {existing[LAST]}".strip()
                if "full_name" in values or (
                    names_given and (not existing[FULL] or existing[FULL] == old_auto)
                ):
                    values["full_name"] = f"{first} {last}".strip()
            changes = {}
            for name, value in values.items():
                old = existing[_FIELD_POS[name]]
                if old is None:
                    old = None if name == "external_id" else ""
                if old != value:
                    changes[name] = [old, value]
            work.changes = changes
            work.name = values.get("full_name") or existing[FULL] or work.email
            if record.is_active is not None:
                deactivated = existing[STATUS] == DEACTIVATED
                if record.is_active and deactivated:
                    work.status = "active" if existing[CLAIMED] else "staged"
                elif not record.is_active and not deactivated:
                    if options.actor_id is not None and work.pid == options.actor_id:
                        error(work, "is_active", "You cannot deactivate your own account.")
                    else:
                        work.status = DEACTIVATED
        if existing is None and record.is_active is False:
            work.status = DEACTIVATED

    # 3. Managers: resolve references (possibly to rows of this batch).
    if "manager_email" in attrs or "manager_external_id" in attrs:
        _plan_managers(works, snapshot, attrs, error, labels)

    # 4. Rows that depend on rejected rows, and reporting loops, until stable.
    _settle(works, snapshot, error, labels)

    # 5. Actions.
    rows: list[PlanRow] = []
    for work in works:
        record = work.record
        if work.errors:
            action = Action.ERROR
        elif work.pid is None:
            action = Action.NEW
        elif work.status == DEACTIVATED:
            action = Action.DEACTIVATE
        elif work.status is not None:
            action = Action.REACTIVATE
        elif work.changes:
            action = Action.UPDATE
        else:
            action = Action.UNCHANGED
        changes = work.changes
        if work.status is not None and action != Action.ERROR:
            before = people[work.pid][STATUS] if work.pid is not None else None
            changes = {**changes, "status": [before, work.status]}
        existing = people[work.pid] if work.pid is not None else None
        reason = ""
        if action in (Action.UPDATE, Action.DEACTIVATE, Action.REACTIVATE) and existing:
            reason = staff_skip_reason(existing) or ""
            if reason:
                action = Action.SKIPPED
        rows.append(
            PlanRow(
                action=action,
                row=record.row,
                email=work.email or record.email,
                name=work.name,
                person_id=work.pid,
                version=existing[VERSION] if existing else None,
                changes=changes if action != Action.UNCHANGED else {},
                manager=work.manager_ref,
                errors=work.errors,
                raw=dict(record.raw) if work.errors else None,
                reason=reason,
            )
        )

    # 6. A complete list deactivates the source's people it does not mention.
    population = sum(1 for p in people.values() if p[SOURCE] == options.source)
    if options.complete_list:
        for pid, person in people.items():
            if (
                person[SOURCE] == options.source
                and person[STATUS] != DEACTIVATED
                and pid not in matched_by
                and pid != options.actor_id
            ):
                rows.append(absent_row(person))
    threshold = deactivation_threshold(
        population, share=options.deactivation_share, maximum=options.deactivation_max
    )
    return Plan(
        rows=rows,
        source=options.source,
        deactivation_threshold=threshold,
        source_population=population,
    )


def absent_row(person: tuple[Any, ...]) -> PlanRow:
    """The row for a person a complete list no longer mentions: deactivated,
    or skipped with the reason when they hold a staff role."""
    reason = staff_skip_reason(person) or ""
    return PlanRow(
        action=Action.SKIPPED if reason else Action.DEACTIVATE,
        row=None,
        email=person[EMAIL],
        name=person[FULL] or person[EMAIL],
        person_id=person[ID],
        version=person[VERSION],
        changes={"status": [person[STATUS], DEACTIVATED]},
        reason=reason,
    )


def _plan_managers(
    works: list[_Work],
    snapshot: Snapshot,
    attrs: frozenset[str],
    error: Any,
    labels: dict[str, str],
) -> None:
    people = snapshot.people
    by_email: dict[str, _Work] = {}
    by_ext: dict[str, _Work] = {}
    for work in works:
        if work.email:
            by_email.setdefault(work.email.lower(), work)
        if work.ext:
            by_ext.setdefault(work.ext, work)
    normalised: dict[str, str] = {}
    for work in works:
        record = work.record
        target: _Work | int | None = None
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
            by_mail: _Work | int | None = by_email.get(key)
            if by_mail is None:
                by_mail = snapshot.by_email.get(key)
            if by_mail is None:
                found = False
                error(
                    work,
                    "manager_email",
                    f"No one with the email {record.manager_email} is in Roster or in this file.",
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
        elif isinstance(target, _Work):
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
        target_work = target if isinstance(target, _Work) else None
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


def _identity(target: Any) -> Any:
    if isinstance(target, _Work):
        return ("id", target.pid) if target.pid is not None else ("row", target.record.row)
    return ("id", target)


def _settle(works: list[_Work], snapshot: Snapshot, error: Any, labels: dict[str, str]) -> None:
    """Reject rows whose manager row was rejected and rows forming reporting loops."""
    by_row = {w.record.row: w for w in works}
    dependants: dict[int, list[_Work]] = defaultdict(list)
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
                if id(work) in seen:
                    continue
                column = (
                    "manager_external_id" if work.record.manager_external_id else "manager_email"
                )
                error(
                    work,
                    column,
                    f"The manager is on row {rejected.record.row}, which has errors, so this "
                    "row cannot be imported either.",
                )
                seen.add(id(work))
                queue.append(work)
        # Reporting loops in the graph the valid rows would produce.
        parent: dict[int, int | None] = {}
        setter: dict[int, _Work] = {}
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
            node: int | None = start
            while node is not None and node not in state:
                state[node] = 1
                path.append(node)
                node = (
                    parent[node]
                    if node in parent
                    else (people[node][MANAGER] if node in people else None)
                )
            if node is not None and state.get(node) == 1:
                looped.append(path[path.index(node) :])
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
                    names.append(_describe(people[node]))
            chain = " → ".join([*names, names[0]])
            for node in loop:
                work = setter.get(node)
                if work is not None:
                    column = (
                        "manager_external_id"
                        if work.record.manager_external_id
                        else "manager_email"
                    )
                    error(
                        work,
                        column,
                        f"This manager would create a reporting loop: {chain}.",
                    )


def _describe(person: tuple[Any, ...]) -> str:
    name = person[FULL] or f"{person[FIRST]} {person[LAST]}".strip()
    return f"{name} <{person[EMAIL]}>" if name else person[EMAIL]


def _rows_text(numbers: Iterable[int]) -> str:
    items = [str(n) for n in sorted(numbers)]
    if len(items) > 5:
        items = [*items[:5], "…"]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]
