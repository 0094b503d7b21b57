"""The audit trail: one row per change, about a person or a setting."""

from __future__ import annotations

from django.db import models

from accounts.models.people import Person


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
        JOINED_GROUP = "joined_group", "Joined group"
        LEFT_GROUP = "left_group", "Left group"

    class SubjectKind(models.TextChoices):
        PERSON = "person", "Person"
        DOMAIN = "domain", "Allowed domain"
        SCIM_TARGET = "scim_target", "SCIM target"
        IDENTITY_PROVIDER = "identity_provider", "Identity provider"
        SCIM_CLIENT = "scim_client", "SCIM client"
        API_TOKEN = "api_token", "API token"
        ORGANISATION = "organisation", "Organisation settings"
        GROUP = "group", "Group"

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
