"""Writing the demo organisation: bulk inserts, one audit row each, one transaction."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.actors import Actor, describe
from accounts.demo.groups import seed_demo_groups
from accounts.demo.organisation import DEMO_DOMAIN, DemoPerson, build_organisation, level_batches
from accounts.exceptions import InvalidPerson
from accounts.invitations import services as invitation_services
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person

# The command-line actor, labelled so the audit log tells demo people apart.
DEMO_DATA = Actor(kind="cli", label="Demo data")
BATCH_SIZE = 2000


@dataclass(frozen=True)
class SeedResult:
    """What ``seed_demo_people`` did: people created, or why nothing was."""

    created: int
    domain: str
    existing: int = 0
    person_ids: tuple[int, ...] = ()


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
    Invited people get an invitation sent in the last few days. Demo groups
    (two departments, the London office, the leadership team) come with them.
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
    # Batches follow the plan's order, so pks[i] is plan[i]'s.
    seed_demo_groups([pk for pk, p in zip(pks, plan, strict=True) if p.level <= 1], by=by)
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
