"""What the REST API stores: API tokens and idempotency keys."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models.people import Person


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
