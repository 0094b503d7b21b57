"""Planning the demo organisation in memory: people, their teams and managers.

``build_organisation`` returns the plan (managers before their reports), with
phone numbers valid for the configured region; nothing touches the database.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import phonenumbers

from accounts.demo.vocabulary import (
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    MAX_SPAN,
    MIN_SPAN,
    SOURCES,
    STATUSES,
)
from accounts.models import Person

DEMO_DOMAIN = "northwind.example"


@dataclass
class DemoPerson:
    """One planned person; ``manager`` is an index into the plan."""

    email: str
    first_name: str
    last_name: str
    department: str
    location: str
    status: str
    source: str
    phone_number: str
    external_id: str | None
    level: int
    manager: int | None
    job_title: str = ""
    reports: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def phone_pool(region: str, *, size: int = 400, rng: random.Random) -> list[str]:
    """Return up to ``size`` distinct E.164 numbers that are valid in ``region``.

    Built by varying the last digits of the region's example mobile and fixed
    line numbers and keeping the valid ones; empty if the region has none.
    """
    bases = []
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            bases.append(example)
    pool: set[str] = set()
    for _ in range(size * 4):
        if not bases or len(pool) >= size:
            break
        base = rng.choice(bases)
        digits = str(base.national_number)
        tail = min(4, len(digits) - 2)
        varied = digits[:-tail] + f"{rng.randrange(10**tail):0{tail}d}"
        number = phonenumbers.PhoneNumber(
            country_code=base.country_code, national_number=int(varied)
        )
        if phonenumbers.is_valid_number(number):
            pool.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return sorted(pool)


def _external_id(source: str) -> str | None:
    if source == Person.Source.GOOGLE:
        return str(10**20 + uuid.uuid4().int % (9 * 10**20))
    if source == Person.Source.ENTRA:
        return str(uuid.uuid4())
    return None


def build_organisation(
    n: int, *, domain: str = DEMO_DOMAIN, seed: int | None = None, region: str = "GB"
) -> list[DemoPerson]:
    """Plan ``n`` people: a CEO, one leader per department, then teams below them.

    Every manager comes before their reports in the returned list, and a
    person's ``level`` is their manager's plus one, so inserting level by level
    always finds the manager already written.
    """
    rng = random.Random(seed)
    phones = phone_pool(region, rng=rng)
    taken: set[str] = set()
    people: list[DemoPerson] = []

    def new_person(department: str, level: int, manager: int | None) -> int:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower()
        email, suffix = f"{local}@{domain}", 1
        while email in taken:
            suffix += 1
            email = f"{local}{suffix}@{domain}"
        taken.add(email)
        senior = level <= 1
        status = str(Person.Status.ACTIVE if senior else _weighted(rng, STATUSES))
        source = str(Person.Source.GOOGLE if senior else _weighted(rng, SOURCES))
        people.append(
            DemoPerson(
                email=email,
                first_name=first,
                last_name=last,
                department=department,
                location="London" if senior else _weighted(rng, LOCATIONS),
                status=status,
                source=source,
                phone_number=rng.choice(phones) if phones and rng.random() < 0.85 else "",
                external_id=_external_id(source),
                level=level,
                manager=manager,
            )
        )
        if manager is not None:
            people[manager].reports += 1
        return len(people) - 1

    if n <= 0:
        return people
    ceo = new_person("Executive", 0, None)
    people[ceo].job_title = "Chief Executive Officer"
    names = list(DEPARTMENTS)
    weights = [DEPARTMENTS[d][0] for d in names]
    # Each department hands out manager slots breadth first: a person joins
    # the queue of possible managers as soon as they exist, so teams fill one
    # level before the next one starts.
    openings: dict[str, deque[list[int]]] = {d: deque() for d in names}
    for department in names[: max(0, n - 1)]:
        leader = new_person(department, 1, ceo)
        people[leader].job_title = DEPARTMENTS[department][1]
        openings[department].append([leader, rng.randint(MIN_SPAN, MAX_SPAN)])
    while len(people) < n:
        department = rng.choices(names, weights=weights)[0]
        queue = openings[department]
        slot = queue[0]
        manager = slot[0]
        member = new_person(department, people[manager].level + 1, manager)
        slot[1] -= 1
        if slot[1] == 0:
            queue.popleft()
        queue.append([member, rng.randint(MIN_SPAN, MAX_SPAN)])
    for person in people:
        if person.job_title:
            continue
        _, _, manager_title, titles = DEPARTMENTS[person.department]
        if person.reports:
            prefix = "Senior " if person.level == 2 else ""
            person.job_title = f"{prefix}{manager_title}"
        else:
            person.job_title = rng.choice(titles)
    # Managers first: order by level, then point each manager index at the
    # manager's new position.
    order = sorted(range(len(people)), key=lambda i: people[i].level)
    new_index = {old: new for new, old in enumerate(order)}
    ordered = [people[i] for i in order]
    for person in ordered:
        if person.manager is not None:
            person.manager = new_index[person.manager]
    return ordered


def level_batches(plan: list[DemoPerson], size: int) -> list[list[int]]:
    """Split plan indices into batches of at most ``size`` that never span two levels."""
    batches: list[list[int]] = []
    for index, person in enumerate(plan):
        if not batches or len(batches[-1]) >= size or plan[batches[-1][0]].level != person.level:
            batches.append([])
        batches[-1].append(index)
    return batches
