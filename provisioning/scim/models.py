"""SCIM targets, the (person, target) links that form the outbox, and sync runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = ["ScimLink", "ScimRun", "ScimTarget"]


class ScimTarget(models.Model):
    """A downstream SCIM 2.0 service that Roster pushes people to."""

    class AuthMethod(models.TextChoices):
        BEARER = "bearer", "Bearer token"
        OAUTH2 = "oauth2", "OAuth 2.0 client credentials"

    class Deactivation(models.TextChoices):
        PATCH = "patch", "PATCH active=false"
        DELETE = "delete", "DELETE the user"

    class State(models.TextChoices):
        HEALTHY = "healthy", "Healthy"
        RETRYING = "retrying", "Retrying"
        PAUSED = "paused", "Paused"

    class FullSync(models.TextChoices):
        NEVER = "never", "Never"
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=100, unique=True)
    base_url = models.URLField("base URL", max_length=500)
    auth_method = models.CharField(
        max_length=10, choices=AuthMethod.choices, default=AuthMethod.BEARER
    )
    # Fernet tokens (provisioning.secrets); never shown back.
    token_encrypted = models.TextField(blank=True, editable=False)
    oauth_token_url = models.URLField("OAuth token URL", max_length=500, blank=True)
    oauth_client_id = models.CharField("OAuth client ID", max_length=255, blank=True)
    oauth_client_secret_encrypted = models.TextField(blank=True, editable=False)
    oauth_scope = models.CharField("OAuth scope", max_length=500, blank=True)
    # Empty list = no restriction on that attribute; all empty = everyone.
    scope_departments = models.JSONField(default=list, blank=True)
    scope_locations = models.JSONField(default=list, blank=True)
    scope_statuses = models.JSONField(default=list, blank=True)
    scope_sources = models.JSONField(default=list, blank=True)
    # Groups pushed with their members (provisioning.scim.groups_push): none
    # unless switched on; an empty list then means every group.
    push_groups = models.BooleanField(default=False)
    scope_groups = models.JSONField(default=list, blank=True)
    deactivation = models.CharField(
        max_length=10, choices=Deactivation.choices, default=Deactivation.PATCH
    )
    rate_limit = models.FloatField(
        "rate limit (requests per second)",
        default=20.0,
        help_text="Shared by every worker.",
    )
    # Overrides of the default attribute mapping: {scim attribute: Roster attribute or ""}.
    attribute_mapping = models.JSONField(default=dict, blank=True)
    # What "Test connection" found: ServiceProviderConfig and friends.
    capabilities = models.JSONField(default=dict, blank=True, editable=False)
    capabilities_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_enabled = models.BooleanField(default=False, editable=False)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.HEALTHY, editable=False
    )
    state_reason = models.CharField(max_length=500, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    pause_after_failures = models.PositiveIntegerField(
        default=25, help_text="Pause the target after this many consecutive failures."
    )
    backoff_until = models.DateTimeField(null=True, blank=True, editable=False)
    initial_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A scheduled full sync (provisioning.scim.schedules) repairs drift the
    # outbox cannot see: users changed or removed on the target itself.
    full_sync = models.CharField(max_length=10, choices=FullSync.choices, default=FullSync.NEVER)
    # An hour of the day in the organisation's time zone.
    full_sync_hour = models.PositiveSmallIntegerField(default=3)
    full_sync_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.SUNDAY
    )
    full_sync_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Group members per PATCH: empty = derived from what the target
    # advertises (provisioning.scim.group_batch).
    group_batch_size = models.PositiveIntegerField("members per request", null=True, blank=True)
    # Learnt from a 413 (or "too many members") answer: halved until accepted.
    group_batch_learned = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM target"
        constraints = [
            models.CheckConstraint(condition=Q(rate_limit__gt=0), name="scimtarget_rate_positive"),
            models.CheckConstraint(
                condition=Q(full_sync__in=["never", "daily", "weekly"]),
                name="scimtarget_full_sync_valid",
            ),
            models.CheckConstraint(
                condition=Q(full_sync_hour__lte=23), name="scimtarget_full_sync_hour_valid"
            ),
            models.CheckConstraint(
                condition=Q(full_sync_weekday__lte=6), name="scimtarget_full_sync_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(group_batch_size__isnull=True)
                | Q(group_batch_size__gte=1, group_batch_size__lte=10000),
                name="scimtarget_group_batch_range",
            ),
            models.CheckConstraint(
                condition=Q(group_batch_learned__isnull=True) | Q(group_batch_learned__gte=1),
                name="scimtarget_group_batch_learned_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.state == self.State.PAUSED


class ScimLink(models.Model):
    """One person on one target: the remote id and what the target has confirmed."""

    target = models.ForeignKey(ScimTarget, on_delete=models.CASCADE, related_name="links")
    # SET_NULL keeps the link of a deleted person so the sweep can remove the
    # remote user; person_ref still says whom it was.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scim_links",
    )
    person_ref = models.BigIntegerField()
    remote_id = models.CharField(max_length=255, null=True, blank=True)
    # 0 = never pushed; equals Person.version once the target confirmed it.
    synced_version = models.PositiveBigIntegerField(default=0)
    # The attributes the target last confirmed, flattened (mapping.flatten).
    snapshot = models.JSONField(default=dict, blank=True)
    # True when the remote user may already exist (no listing has shown it
    # absent, or a create's answer may have been lost): look it up first.
    needs_lookup = models.BooleanField(default=True)
    needs_manager = models.BooleanField(default=False)
    # Set when a permanent error (4xx) was met at this person version.
    failed_version = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    # Lease of a worker that claimed the row (SELECT … FOR UPDATE SKIP LOCKED).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target", "person_ref"]
        verbose_name = "SCIM link"
        constraints = [
            models.UniqueConstraint(fields=["target", "person_ref"], name="scimlink_unique"),
        ]
        indexes = [
            models.Index(fields=["person_ref"], name="scimlink_person_idx"),
            models.Index(fields=["target", "remote_id"], name="scimlink_remote_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.person_ref} on {self.target_id}"


class ScimRun(models.Model):
    """One sync, reconcile or dry run of a target, with its progress and counts."""

    class Kind(models.TextChoices):
        SYNC = "sync", "Full sync"
        CHANGES = "changes", "Changes"
        RECONCILE = "reconcile", "Reconcile"
        DRY_RUN = "dry_run", "Dry run"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    target = models.ForeignKey(ScimTarget, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    adopted = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # Reconcile drift or the requests a dry run would send.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "SCIM run"

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} of {self.target.name} at {self.started_at:%Y-%m-%d %H:%M}"
        )

    @property
    def done(self) -> int:
        return (
            self.created
            + self.updated
            + self.adopted
            + self.deactivated
            + self.deleted
            + self.unchanged
            + self.failed
        )

    @property
    def progress(self) -> int:
        """Percent done, 0 to 100."""
        if not self.total:
            return 100 if self.status != self.Status.RUNNING else 0
        return min(100, round(100 * self.done / self.total))
