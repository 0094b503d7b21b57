"""A synthetic organisation both fake identity providers serve: people, departments and
manager chains several levels deep, plus a change log for incremental reads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

DEPARTMENTS = (
    "Engineering",
    "Sales",
    "Finance",
    "People",
    "Support",
    "Legal",
    "Marketing",
    "Operations",
)
TITLES = ("Associate", "Specialist", "Senior specialist", "Lead", "Manager", "Director")


@dataclass(frozen=True)
class Employee:
    """One person as the organisation knows them, before any provider's wire format."""

    index: int
    object_id: str
    email: str
    employee_id: str
    given_name: str
    family_name: str
    title: str
    department: str
    org_unit: str
    manager: int | None
    phone: str
    building: str
    enabled: bool = True
    # Quirks real directories have (see ``Directory.messy``).
    mobile: str = ""
    archived: bool = False
    has_mail: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class Directory:
    """A mutable organisation; every change is logged with a sequence number."""

    people: list[Employee] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    # (sequence, index, changed field names or {"@deleted"})
    log: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def generate(cls, count: int, *, branching: int = 6, domain: str = "example.com"):
        """Build ``count`` people: person 0 at the top, each reporting to (i-1)//branching."""
        people: list[Employee] = []
        top_branch: dict[int, int] = {}
        for i in range(count):
            manager = None if i == 0 else (i - 1) // branching
            if manager is None:
                department = "Executive"
            else:
                branch = i if manager == 0 else top_branch[manager]
                top_branch[i] = branch
                department = DEPARTMENTS[(branch - 1) % len(DEPARTMENTS)]
            people.append(
                Employee(
                    index=i,
                    object_id=f"00000000-0000-4000-8000-{i:012d}",
                    email=f"person{i:06d}@{domain}",
                    employee_id=f"E{i:06d}",
                    given_name=f"Given{i}",
                    family_name=f"Family{i}",
                    title=TITLES[i % len(TITLES)],
                    department=department,
                    org_unit=f"/{department}",
                    manager=manager,
                    phone=f"+4420{70_000_000 + i:08d}",
                    building=f"B{i % 7}",
                )
            )
        return cls(people=people)

    @classmethod
    def messy(cls, count: int, *, domain: str = "example.com") -> Directory:
        """A directory as real tenants hold it: about 5% disabled (managers with
        reports among them), free-text phones ("x3696", "ext 8502"), people with
        only a mobile number, without employee ID, without ``mail`` (Graph),
        archived (Google) and with only the "desk" placeholder as location."""
        directory = cls.generate(count, domain=domain)
        for i, person in enumerate(directory.people):
            changes: dict[str, object] = {}
            if i % 20 == 7:
                changes["enabled"] = False
            if i % 25 == 3:
                changes["phone"] = "x3696" if i % 2 else "ext 8502"
                if i % 50 == 3:
                    changes["mobile"] = f"+447700{900_000 + i % 1000:06d}"
            if i % 30 == 5:
                changes["phone"] = ""
                changes["mobile"] = f"+447700{800_000 + i % 1000:06d}"
            if i % 16 == 9:
                changes["employee_id"] = ""
            if i % 33 == 1:
                changes["has_mail"] = False
            if i % 97 == 11:
                changes["archived"] = True
            if i % 40 == 13:
                changes["building"] = ""
            if changes:
                directory.people[i] = replace(person, **changes)
        return directory

    def live(self) -> list[Employee]:
        if not self.deleted:
            # A plain copy: pages call this once each, so it must not scan in Python.
            return list(self.people)
        return [p for p in self.people if p.index not in self.deleted]

    def by_email(self, email: str) -> Employee | None:
        email = email.lower()
        for person in self.people:
            if person.email == email and person.index not in self.deleted:
                return person
        return None

    def update(self, index: int, **changes: object) -> None:
        """Change one person's attributes and log which ones changed."""
        with self.lock:
            self.people[index] = replace(self.people[index], **changes)
            self.seq += 1
            self.log.append((self.seq, index, frozenset(changes)))

    def delete(self, index: int) -> None:
        with self.lock:
            self.deleted.add(index)
            self.seq += 1
            self.log.append((self.seq, index, frozenset({"@deleted"})))

    def reports_under(self, index: int) -> list[Employee]:
        """Everyone below ``index`` in the reporting structure (not the person)."""
        children: dict[int, list[int]] = {}
        for person in self.live():
            if person.manager is not None:
                children.setdefault(person.manager, []).append(person.index)
        found, stack = [], list(children.get(index, []))
        while stack:
            current = stack.pop()
            found.append(self.people[current])
            stack.extend(children.get(current, []))
        return found
