"""Identity-provider sources (Google Workspace, Microsoft Entra ID) and their sync runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class IdentitySource(models.Model):
    """A connected directory Roster reads people from, with its scope, mapping and schedule."""

    class Kind(models.TextChoices):
        GOOGLE = "google", "Google Workspace"
        ENTRA = "entra", "Microsoft Entra ID"

    class Status(models.TextChoices):
        NEW = "new", "Awaiting first sync"
        CONNECTED = "connected", "Connected"
        FAILING = "failing", "Failing"
        PAUSED = "paused", "Waiting for approval"

    class ScopeKind(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        DEPARTMENTS = "departments", "People in chosen departments"
        MANAGERS = "managers", "People under chosen managers (whole reporting structure)"
        GROUPS = "groups", "Google organisational units or Entra groups"

    class GroupScope(models.TextChoices):
        NONE = "none", "No groups"
        ALL = "all", "All groups"
        CHOSEN = "chosen", "These groups"

    class InviteMode(models.TextChoices):
        NONE = "none", "Later (invite by hand)"
        NOW = "now", "Send invitations now"
        AT = "at", "Send invitations at a set time"
        AUTO = "auto", "Invite people as soon as this integration adds them"

    class GuardMode(models.TextChoices):
        DEFAULT = "default", "10% of its people or 50, whichever is smaller"
        COUNT = "count", "A number of people"
        PERCENT = "percent", "A percentage of its people"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Fernet token of a JSON object; written by services, never shown.
    encrypted_credentials = models.TextField(blank=True, editable=False)
    # Non-secret connection settings (admin email, customer, tenant id, client id...).
    connection = models.JSONField(default=dict, blank=True)
    scope_kind = models.CharField(
        max_length=12, choices=ScopeKind.choices, default=ScopeKind.EVERYONE
    )
    scope_values = models.JSONField(default=list, blank=True)
    # {attribute: provider field path} replacing the defaults shown on the page.
    mapping_overrides = models.JSONField(default=dict, blank=True)
    sync_interval_minutes = models.PositiveIntegerField(default=60)
    is_enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    invite_mode = models.CharField(
        max_length=8, choices=InviteMode.choices, default=InviteMode.NONE
    )
    invite_at = models.DateTimeField(null=True, blank=True)
    guard_mode = models.CharField(
        max_length=8, choices=GuardMode.choices, default=GuardMode.DEFAULT
    )
    guard_value = models.PositiveIntegerField(default=0)
    delta_link = models.TextField(blank=True, editable=False)
    # Which of the provider's groups come into Roster as static groups; with
    # CHOSEN, ``group_keys`` holds the provider's ids of the chosen groups.
    group_scope = models.CharField(
        max_length=8, choices=GroupScope.choices, default=GroupScope.NONE
    )
    group_keys = models.JSONField(default=list, blank=True)
    # Entra's /groups/delta link, kept next to the users' one.
    groups_delta_link = models.TextField(blank=True, editable=False)
    known_departments = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    last_error = models.TextField(blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when an administrator confirmed the first run; scheduled runs apply only after.
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    running_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "identity provider"
        verbose_name_plural = "identity providers"
        constraints = [
            models.CheckConstraint(
                condition=Q(sync_interval_minutes__gte=5), name="identitysource_interval_min"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["google", "entra"]), name="identitysource_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(group_scope__in=["none", "all", "chosen"]),
                name="identitysource_group_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def has_credentials(self) -> bool:
        return bool(self.encrypted_credentials)


class SourceLink(models.Model):
    """A person this source brought in or linked; a person belongs to one source at most."""

    source = models.ForeignKey(IdentitySource, on_delete=models.CASCADE, related_name="links")
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="source_link"
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    # The provider's immutable id of the person (Graph ``id``, Google ``id``):
    # matched before the employee ID and email, so renames keep the person.
    external_key = models.CharField(max_length=255, null=True, blank=True, editable=False)
    # [{"column", "message"}]: attributes the last run left empty, and why.
    warnings = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = "source link"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key"],
                condition=Q(external_key__isnull=False),
                name="sourcelink_unique_external_key",
            ),
            models.CheckConstraint(
                condition=~Q(external_key=""), name="sourcelink_external_key_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} ← {self.source_id}"


class DirectorySnapshot(models.Model):
    """The directory as last applied (compressed JSON), for incremental runs and scope."""

    source = models.OneToOneField(IdentitySource, on_delete=models.CASCADE, related_name="snapshot")
    data = models.BinaryField()
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Snapshot of {self.source_id}"


class SyncRun(models.Model):
    """One read of a source: what it found, what it changed, how long it took."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PREVIEW = "preview", "Preview: waiting for confirmation"
        AWAITING_APPROVAL = "awaiting_approval", "Paused: waiting for approval"
        APPLYING = "applying", "Applying"
        DONE = "done", "Done"
        DRY_RUN = "dry_run", "Dry run (nothing changed)"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        CLI = "cli", "Command line"

    source = models.ForeignKey(IdentitySource, on_delete=models.CASCADE, related_name="runs")
    job = models.OneToOneField(
        "provisioning.ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sync_run",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    is_incremental = models.BooleanField(default=False)
    is_dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    count_fetched = models.PositiveIntegerField(default=0)
    count_in_scope = models.PositiveIntegerField(default=0)
    count_new = models.PositiveIntegerField(default=0)
    count_updated = models.PositiveIntegerField(default=0)
    count_unchanged = models.PositiveIntegerField(default=0)
    count_deactivated = models.PositiveIntegerField(default=0)
    count_reactivated = models.PositiveIntegerField(default=0)
    count_errors = models.PositiveIntegerField(default=0)
    count_skipped = models.PositiveIntegerField(default=0)
    count_linked = models.PositiveIntegerField(default=0)
    count_conflicts = models.PositiveIntegerField(default=0)
    count_warnings = models.PositiveIntegerField(default=0)
    deactivation_threshold = models.PositiveIntegerField(default=0)
    # [{"email", "message"}], [{"email", "source"}], [{"email", "from"}] (first entries only)
    errors = models.JSONField(default=list, blank=True)
    # [{"email", "messages": [...]}]: people imported with attributes left empty.
    warnings = models.JSONField(default=list, blank=True)
    conflicts = models.JSONField(default=list, blank=True)
    linked = models.JSONField(default=list, blank=True)
    error_reason = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)
    # What the run read, committed with its changes (a paused run keeps it until decided).
    pending_snapshot = models.BinaryField(null=True, blank=True, editable=False)
    pending_delta_link = models.TextField(blank=True, editable=False)
    # Groups: what the run plans (and, once applied, did) to the source's groups.
    count_groups_new = models.PositiveIntegerField(default=0)
    count_groups_renamed = models.PositiveIntegerField(default=0)
    count_groups_deleted = models.PositiveIntegerField(default=0)
    count_groups_unchanged = models.PositiveIntegerField(default=0)
    count_group_joins = models.PositiveIntegerField(default=0)
    count_group_leaves = models.PositiveIntegerField(default=0)
    count_group_skipped = models.PositiveIntegerField(default=0)
    # [{"action", "name", "old_name", "joins", "leaves"}] and [{"group", "message"}].
    group_changes = models.JSONField(default=list, blank=True)
    group_warnings = models.JSONField(default=list, blank=True)
    # The groups as read (compressed JSON), stored as the source's group
    # snapshot when the run is applied, with the groups' delta link.
    pending_groups = models.BinaryField(null=True, blank=True, editable=False)
    pending_groups_delta_link = models.TextField(blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    invited_count = models.PositiveIntegerField(default=0)
    invite_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "sync run"
        indexes = [models.Index(fields=["source", "-started_at"], name="syncrun_source_time_idx")]

    def __str__(self) -> str:
        return f"Sync #{self.pk} of {self.source_id}"

    @property
    def duration(self) -> float | None:
        if self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def counts(self) -> dict[str, int]:
        return {
            "fetched": self.count_fetched,
            "in_scope": self.count_in_scope,
            "new": self.count_new,
            "updated": self.count_updated,
            "unchanged": self.count_unchanged,
            "deactivated": self.count_deactivated,
            "reactivated": self.count_reactivated,
            "errors": self.count_errors,
            "skipped": self.count_skipped,
            "linked": self.count_linked,
            "conflicts": self.count_conflicts,
            "warnings": self.count_warnings,
        }

    @property
    def group_counts(self) -> dict[str, int]:
        return {
            "groups_new": self.count_groups_new,
            "groups_renamed": self.count_groups_renamed,
            "groups_deleted": self.count_groups_deleted,
            "groups_unchanged": self.count_groups_unchanged,
            "group_members_added": self.count_group_joins,
            "group_members_removed": self.count_group_leaves,
            "group_members_skipped": self.count_group_skipped,
        }


__all__ = ["DirectorySnapshot", "IdentitySource", "SourceLink", "SyncRun"]
