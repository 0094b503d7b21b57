"""Invitations to claim an account, and each email sent for them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models.base import TimeStampedModel
from accounts.models.people import Person


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    CLAIMED = "claimed", "Claimed"
    REVOKED = "revoked", "Revoked"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent"


class Invitation(TimeStampedModel):
    """An invitation for a person to claim their account, and its reminders."""

    Status = InvitationStatus
    OPEN_STATUSES = (InvitationStatus.SCHEDULED, InvitationStatus.SENT)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    invited_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by_label = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # First time the claim page was opened with a link of this invitation (the
    # dashboard's funnel); a mail scanner following links counts too.
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # Outcome of the latest email for this invitation, kept here so the
    # People list can show and filter it without reading every delivery.
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one open invitation per person: a resend revokes the
            # earlier one in the same transaction.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["scheduled", "sent"]),
                name="invitation_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=Q(status="scheduled"),
                name="invitation_due_idx",
            ),
            models.Index(
                fields=["sent_at"], condition=Q(status="sent"), name="invitation_sent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.person_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class InvitationDelivery(models.Model):
    """One email of an invitation (the first send or a reminder) and its outcome."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Scheduled reminder"
        MANUAL_REMINDER = "manual_reminder", "Reminder"

    Status = DeliveryStatus

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # 0 for the invitation itself, the reminder's position otherwise.
    number = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    # SHA-256 of the link's token; the token itself is never stored.
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]
        verbose_name_plural = "invitation deliveries"
        constraints = [
            # The idempotency key of every email: a beat tick, a retried task
            # or a second worker cannot create the same email twice.
            models.UniqueConstraint(
                fields=["invitation", "kind", "number"], name="delivery_once_per_number"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["enqueued_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.number} ({self.get_status_display()})"
