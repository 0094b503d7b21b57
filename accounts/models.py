"""People, their audit trail, and the domains their emails may use."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from accounts.phones import display_phone
from accounts.roles import Role, role_has_app_access, role_has_capability


class TimeStampedModel(models.Model):
    """Abstract base with creation and last-change timestamps."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class PersonManager(BaseUserManager["Person"]):
    # Only used by Django's own tooling (createsuperuser); Roster code creates
    # people through accounts.services.create_person. The services are named,
    # not imported: they import this module.
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Person:
        from accounts.actors import SYSTEM

        person = import_string("accounts.services.create_person")(email=email, by=SYSTEM, **extra)
        if password:
            import_string("accounts.services.set_password")(person, password=password, by=SYSTEM)
        return person

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Person:
        from accounts.actors import SYSTEM

        create_administrator = import_string("accounts.services.create_administrator")
        return create_administrator(email=email, password=password, by=SYSTEM, **extra)


class PersonStatus(models.TextChoices):
    STAGED = "staged", "Awaiting invitation"
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    DEACTIVATED = "deactivated", "Deactivated"


class PersonSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    SPREADSHEET = "spreadsheet", "Spreadsheet"
    GOOGLE = "google", "Google Workspace"
    ENTRA = "entra", "Microsoft Entra ID"
    SCIM = "scim", "SCIM"
    API = "api", "API"


class Person(TimeStampedModel, AbstractBaseUser):
    """A person in the organisation, and their account."""

    Status = PersonStatus
    Source = PersonSource

    email = models.EmailField(max_length=254)
    external_id = models.CharField("external ID", max_length=255, null=True, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    full_name = models.CharField(max_length=300, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    job_title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True, db_index=True)
    phone_number = models.CharField(max_length=16, blank=True)
    location = models.CharField(max_length=200, blank=True, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.STAGED, db_index=True
    )
    # Kept equal to (status == active) by a check constraint: auth backends and
    # allauth query it as a column.
    is_active = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.NONE, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveBigIntegerField(default=1)
    # Rotated on deactivation: part of the session hash, so it ends sessions.
    security_stamp = models.CharField(max_length=32, default=new_security_stamp)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        ordering = ["full_name", "id"]
        permissions = [
            ("deactivate_person", "Can deactivate and reactivate people"),
            ("change_role", "Can change people's admin roles"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="person_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="person_external_id_not_blank"
            ),
            models.CheckConstraint(
                condition=~Q(manager=models.F("id")), name="person_not_own_manager"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PersonStatus.values), name="person_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=PersonSource.values), name="person_source_valid"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="person_role_valid"),
            models.CheckConstraint(
                condition=Q(is_active=True, status="active")
                | (Q(is_active=False) & ~Q(status="active")),
                name="person_is_active_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(phone_number="") | Q(phone_number__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="person_phone_e164",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="person_version_positive"),
        ]
        indexes = [
            models.Index(fields=["updated_at"], name="person_updated_idx"),
            models.Index(fields=["source", "created_at"], name="person_source_created_idx"),
            models.Index(fields=["manager", "full_name"], name="person_manager_name_idx"),
            # The default ordering of every people list (admin pages walk it
            # instead of sorting the whole table).
            models.Index(fields=["full_name", "id"], name="person_name_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone_number)

    @property
    def has_claimed(self) -> bool:
        return self.claimed_at is not None

    # --- roles, as Django's auth and admin ask for them --------------------
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role != Role.NONE

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and role_has_capability(self.role, perm)

    def has_perms(self, perm_list, obj: object = None) -> bool:
        return all(self.has_perm(p, obj) for p in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and role_has_app_access(self.role, app_label)

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "accounts.Person.get_session_auth_hash",
            f"{self.password}:{self.security_stamp}",
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.first_name or self.email


class LifecycleEvent(models.Model):
    """One audited change: who did what to whom, when, with the field-level diff."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        DELETED = "deleted", "Deleted"
        ROLE_CHANGED = "role_changed", "Role changed"
        PASSWORD_SET = "password_set", "Password set"
        DOMAIN_ADDED = "domain_added", "Allowed domain added"
        DOMAIN_REMOVED = "domain_removed", "Allowed domain removed"
        INVITED = "invited", "Invited"
        REMINDED = "reminded", "Reminded"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        CLAIMED = "claimed", "Claimed"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        TOKEN_REVOKED = "token_revoked", "Token revoked"

    class SubjectKind(models.TextChoices):
        PERSON = "person", "Person"
        DOMAIN = "domain", "Allowed domain"
        SCIM_TARGET = "scim_target", "SCIM target"
        IDENTITY_PROVIDER = "identity_provider", "Identity provider"
        SCIM_CLIENT = "scim_client", "SCIM client"
        API_TOKEN = "api_token", "API token"

    class ActorKind(models.TextChoices):
        PERSON = "person", "Person"
        IMPORT = "import", "Spreadsheet import"
        INTEGRATION = "integration", "Integration"
        API = "api", "API client"
        SCIM = "scim", "SCIM client"
        CLI = "cli", "Command line"
        SYSTEM = "system", "System"

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    # Survives the person's deletion, so a tombstone still says whom it was about.
    person_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=300, blank=True)
    # What the row is about: a person, or a setting such as an integration
    # (then person is empty and subject names it).
    subject_kind = models.CharField(
        max_length=20, choices=SubjectKind.choices, default=SubjectKind.PERSON, db_index=True
    )
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    actor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices, db_index=True)
    actor_label = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit event"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["person_ref", "-created_at"], name="event_person_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subject} by {self.actor_label}"


class AllowedDomain(models.Model):
    """An email domain people in this organisation may have."""

    domain = models.CharField(max_length=253, unique=True)
    is_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")), name="alloweddomain_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


# --- invitations ------------------------------------------------------------


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


# --- REST API ---------------------------------------------------------------


class ApiToken(models.Model):
    """A secret a script uses to call the REST API as a person, with their role.

    Only the SHA-256 of the token is kept; the token is shown once, when issued.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=16, help_text="The first characters of the token, to tell tokens apart."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by_label = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            # A person's live tokens have distinct names, so "revoke NAME" is unambiguous.
            models.UniqueConstraint(
                fields=["person", "name"],
                condition=Q(revoked_at__isnull=True),
                name="apitoken_live_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyKey(models.Model):
    """An API request's Idempotency-Key and the response it got, replayed on retry.

    ``status_code`` is null while the first request is still running.
    """

    actor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "key"], name="idempotencykey_actor_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"
