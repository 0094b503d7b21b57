"""The organisation's own settings: one row, edited on the admin's Organisation page."""

from __future__ import annotations

from django.db import models

# Image types a logo may have, by the bytes they start with. Shown as a data:
# URI (the Content-Security-Policy allows ``img-src data:``), so the logo needs
# no media server; SVG is refused, as it can carry scripts.
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
LOGO_MAX_BYTES = 200_000


class Organisation(models.Model):
    """The organisation's name, logo, time zone, phone region and invitation timing."""

    # Always True, and unique: the table holds one row at most.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(max_length=100)
    logo = models.BinaryField(blank=True, default=b"", editable=False)
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    time_zone = models.CharField(max_length=64)
    phone_region = models.CharField(max_length=2)
    invite_expiry_days = models.PositiveSmallIntegerField()
    # Days after the invitation when reminders go out, ascending ("3,5").
    reminder_days = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisation"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="organisation_single_row"
            ),
            models.CheckConstraint(
                condition=models.Q(invite_expiry_days__gte=1, invite_expiry_days__lte=90),
                name="organisation_invite_expiry_1_to_90_days",
            ),
            models.CheckConstraint(
                condition=models.Q(phone_region__regex=r"^[A-Z]{2}$"),
                name="organisation_phone_region_two_letters",
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="organisation_name_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_days__regex=r"^([0-9]{1,2}(,[0-9]{1,2})*)?$"),
                name="organisation_reminder_days_list",
            ),
        ]

    def __str__(self) -> str:
        return self.name
