"""Demo data: a realistic organisation to try Roster with, written in bulk.

``build_organisation`` plans the people in memory (departments, locations, job
titles, a management tree several levels deep, a mix of statuses and
sources, phone numbers valid for the configured region); ``seed_demo_people``
writes them with bulk inserts and one audit row each, in one transaction.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.actors import Actor, describe
from accounts.exceptions import InvalidPerson
from accounts.invitations import services as invitation_services
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person

DEMO_DOMAIN = "northwind.example"
# The command-line actor, labelled so the audit log tells demo people apart.
DEMO_DATA = Actor(kind="cli", label="Demo data")
BATCH_SIZE = 2000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Alice Amara Amir Ana Andrew Anika Arjun Ava Beatriz Ben Bianca Carlos "
    "Charlotte Chen Chloe Daniel David Deepa Diego Dmitri Elena Eliza Emeka Emma Ethan "
    "Fatima Felix Freya Gabriel Grace Hannah Hiro Ibrahim Imogen Isaac Isla Jack Jamal James "
    "Jin Joanna Jonas Julia Kai Karim Kate Kofi Laila Leo Lena Liam Lucia Mai Maria Mateo "
    "Maya Mei Mohammed Nadia Naomi Nia Noah Olga Oliver Omar Oscar Priya Rafael Rania Ravi "
    "Rosa Ruth Sakura Samuel Sara Sean Sofia Sven Tariq Thomas Tomas Uma Victor Wei Will "
    "Yara Yusuf Zainab Zoe"
)
LAST_NAMES = _words(
    "Abbott Adeyemi Ahmed Andersen Bauer Becker Bianchi Brown Campbell Chen Clarke Costa "
    "Davies Dubois Evans Fernandes Fischer Garcia Gonzalez Green Hall Hansen Harris Hughes "
    "Ito Jackson Jensen Johansson Jones Kaur Kelly Khan Kim Kowalski Larsen Lee Lewis Lopez "
    "Martin Martinez Mensah Meyer Miller Moore Morgan Murphy Nakamura Nguyen Novak Okafor "
    "Olsen Patel Perez Petrov Phillips Roberts Robinson Rossi Santos Schmidt Silva Singh "
    "Smith Sousa Suzuki Taylor Thomas Thompson Turner Walker Wang Watson White Williams "
    "Wilson Wood Wright Yamamoto Young Zhang"
)

# Department: (weight, the vice president's title, manager title, individual titles).
DEPARTMENTS: dict[str, tuple[int, str, str, tuple[str, ...]]] = {
    "Engineering": (
        30,
        "VP of Engineering",
        "Engineering Manager",
        (
            "Software Engineer",
            "Senior Software Engineer",
            "Site Reliability Engineer",
            "QA Engineer",
            "Data Engineer",
            "Staff Engineer",
        ),
    ),
    "Product": (
        6,
        "VP of Product",
        "Group Product Manager",
        ("Product Manager", "Senior Product Manager", "Product Analyst"),
    ),
    "Design": (
        4,
        "VP of Design",
        "Design Manager",
        ("Product Designer", "UX Researcher", "Content Designer"),
    ),
    "Sales": (
        18,
        "VP of Sales",
        "Sales Manager",
        (
            "Account Executive",
            "Sales Development Representative",
            "Solutions Engineer",
            "Enterprise Account Executive",
        ),
    ),
    "Marketing": (
        7,
        "VP of Marketing",
        "Marketing Manager",
        ("Marketing Specialist", "Content Marketer", "Growth Analyst", "Events Coordinator"),
    ),
    "Customer Success": (
        14,
        "VP of Customer Success",
        "Support Manager",
        ("Customer Success Manager", "Support Engineer", "Implementation Specialist"),
    ),
    "Finance": (
        6,
        "Chief Financial Officer",
        "Finance Manager",
        ("Accountant", "Financial Analyst", "Payroll Specialist"),
    ),
    "People": (
        5,
        "Chief People Officer",
        "People Partner Lead",
        ("People Partner", "Recruiter", "Learning Specialist"),
    ),
    "Legal": (
        3,
        "General Counsel",
        "Legal Manager",
        ("Commercial Counsel", "Paralegal", "Privacy Counsel"),
    ),
    "Operations": (
        7,
        "VP of Operations",
        "Operations Manager",
        ("Operations Analyst", "Office Manager", "IT Support Specialist", "Procurement Specialist"),
    ),
}
LOCATIONS = (
    ("London", 30),
    ("Manchester", 12),
    ("Edinburgh", 8),
    ("Bristol", 8),
    ("Dublin", 8),
    ("Berlin", 10),
    ("Paris", 8),
    ("Remote", 16),
)
STATUSES = (
    (Person.Status.ACTIVE, 72),
    (Person.Status.INVITED, 10),
    (Person.Status.STAGED, 10),
    (Person.Status.DEACTIVATED, 8),
)
SOURCES = (
    (Person.Source.GOOGLE, 40),
    (Person.Source.SPREADSHEET, 30),
    (Person.Source.ENTRA, 15),
    (Person.Source.MANUAL, 15),
)
MIN_SPAN, MAX_SPAN = 3, 8


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


@dataclass(frozen=True)
class SeedResult:
    """What ``seed_demo_people`` did: people created, or why nothing was."""

    created: int
    domain: str
    existing: int = 0
    person_ids: tuple[int, ...] = ()


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


def count_demo_people(domain: str = DEMO_DOMAIN) -> int:
    """Return how many people have an email under ``domain``."""
    return Person.objects.filter(email__iendswith=f"@{domain}").count()


def _clean_domain(domain: str) -> str:
    name = (domain or "").strip().lower().lstrip("@")
    try:
        validate_email(f"demo@{name}")
    except ValidationError as exc:
        raise InvalidPerson({"domain": f"“{domain}” is not a valid domain."}) from exc
    if not services.email_domain_allowed(f"demo@{name}"):
        raise InvalidPerson(
            {"email": f"The domain {name} is not one of the organisation's allowed email domains."}
        )
    return name


@transaction.atomic
def seed_demo_people(
    n: int, *, by: Person | Actor, domain: str = DEMO_DOMAIN, seed: int | None = None
) -> SeedResult:
    """Create ``n`` demo people under ``domain``, audited, and publish them.

    Does nothing (``created == 0``) if anyone already has an email under
    ``domain``, so running it twice adds no one. Writes in bulk: one insert per
    batch of people and one per batch of ``created`` audit rows. Raises
    NotAllowed for the wrong role, InvalidPerson for a bad or disallowed domain.
    Invited people get an invitation sent in the last few days.
    """
    services.require(by, "accounts.add_person")
    if n < 1:
        raise InvalidPerson({"people": "The number of people must be at least 1."})
    name = _clean_domain(domain)
    existing = count_demo_people(name)
    if existing:
        return SeedResult(created=0, domain=name, existing=existing)
    plan = build_organisation(n, domain=name, seed=seed, region=settings.ROSTER_PHONE_REGION)
    kind, label, actor = describe(by)
    now = timezone.now()
    rng = random.Random(seed)
    pks: list[int] = []
    # A batch never spans two levels, so every manager is written (and has a
    # primary key) before the batch holding their reports.
    for batch in level_batches(plan, BATCH_SIZE):
        chunk = [plan[i] for i in batch]
        rows = [_person_row(p, pks, now=now, rng=rng) for p in chunk]
        Person.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        pks.extend(row.pk for row in rows)
        LifecycleEvent.objects.bulk_create(
            [
                LifecycleEvent(
                    person=row,
                    person_ref=row.pk,
                    subject=str(row),
                    action=LifecycleEvent.Action.CREATED,
                    actor=actor,
                    actor_kind=kind,
                    actor_label=label,
                    changes=_created_changes(p, plan),
                )
                for p, row in zip(chunk, rows, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        Invitation.objects.bulk_create(
            [
                _sent_invitation(row, actor=actor, label=label, now=now, rng=rng)
                for row in rows
                if row.status == Person.Status.INVITED
            ],
            batch_size=BATCH_SIZE,
        )
    services.publish(pks, LifecycleEvent.Action.CREATED)
    return SeedResult(created=len(pks), domain=name, person_ids=tuple(pks))


def _person_row(p: DemoPerson, pks: list[int], *, now: Any, rng: random.Random) -> Person:
    claimed = p.status == Person.Status.ACTIVE or (
        p.status == Person.Status.DEACTIVATED and rng.random() < 0.7
    )
    return Person(
        email=p.email,
        external_id=p.external_id,
        first_name=p.first_name,
        last_name=p.last_name,
        full_name=p.full_name,
        manager_id=pks[p.manager] if p.manager is not None else None,
        job_title=p.job_title,
        department=p.department,
        phone_number=p.phone_number,
        location=p.location,
        status=p.status,
        is_active=p.status == Person.Status.ACTIVE,
        source=p.source,
        claimed_at=now - timedelta(days=rng.randint(1, 900)) if claimed else None,
        deactivated_at=now if p.status == Person.Status.DEACTIVATED else None,
        # An unusable password, as set_unusable_password() makes, without its
        # per-call cost at 100,000 people.
        password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
    )


def _sent_invitation(
    person: Person, *, actor: Person | None, label: str, now: Any, rng: random.Random
) -> Invitation:
    # Invited demo people hold an invitation sent in the last few days, so
    # reminders follow on the configured days (to .example addresses, which
    # never deliver).
    sent_at = now - timedelta(hours=rng.randint(1, 96))
    return Invitation(
        person=person,
        status=Invitation.Status.SENT,
        invited_by=actor,
        invited_by_label=label,
        send_at=sent_at,
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=invitation_services.expiry_days()),
        delivery_status=InvitationDelivery.Status.SENT,
    )


def _created_changes(p: DemoPerson, plan: list[DemoPerson]) -> dict[str, list[Any]]:
    values = {
        "email": p.email,
        "external_id": p.external_id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "full_name": p.full_name,
        "manager": plan[p.manager].email if p.manager is not None else None,
        "job_title": p.job_title,
        "department": p.department,
        "phone_number": p.phone_number,
        "location": p.location,
        "status": p.status,
    }
    return {name: [None, value] for name, value in values.items() if value not in ("", None)}
