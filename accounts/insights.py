"""Figures for the dashboard about people and invitations: the funnel and what needs attention.

Reads only; each figure is one aggregate query, whatever the number of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Invitation, InvitationDelivery, Person

EXPIRING_WITHIN_DAYS = 2
FUNNEL_WINDOWS = (30, 90)


@dataclass(frozen=True)
class Funnel:
    """Invitations sent in the last ``days`` days, and how far their people got."""

    days: int
    invited: int
    opened: int
    claimed: int
    median_days_to_claim: float | None

    @property
    def claim_rate(self) -> int | None:
        """Percentage of invited people who claimed, rounded; None when nobody was invited."""
        return round(100 * self.claimed / self.invited) if self.invited else None


def invitation_funnel(*, days: int, now: datetime | None = None) -> Funnel:
    """Return the funnel of invitations first sent within the last ``days`` days."""
    since = (now or timezone.now()) - timedelta(days=days)
    sent = Invitation.objects.filter(sent_at__gte=since)
    counts = sent.aggregate(
        invited=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False) | Q(claimed_at__isnull=False)),
        claimed=Count("pk", filter=Q(claimed_at__isnull=False)),
    )
    waits = [
        (claimed - first).total_seconds() / 86400
        for first, claimed in sent.filter(claimed_at__isnull=False).values_list(
            "sent_at", "claimed_at"
        )
        if first is not None and claimed is not None
    ]
    return Funnel(
        days=days,
        invited=counts["invited"],
        opened=counts["opened"],
        claimed=counts["claimed"],
        median_days_to_claim=round(median(waits), 1) if waits else None,
    )


def count_failed_deliveries() -> int:
    """Count people whose open invitation's latest email failed."""
    return Invitation.objects.filter(
        status__in=Invitation.OPEN_STATUSES, delivery_status=InvitationDelivery.Status.FAILED
    ).count()


def count_invitations_expiring(
    *, within_days: int = EXPIRING_WITHIN_DAYS, now: datetime | None = None
) -> int:
    """Count sent, unclaimed invitations whose link expires within ``within_days`` days."""
    moment = now or timezone.now()
    return Invitation.objects.filter(
        status=Invitation.Status.SENT,
        expires_at__gt=moment,
        expires_at__lte=moment + timedelta(days=within_days),
    ).count()


def count_people() -> int:
    return Person.objects.count()
