"""SCIM clients: the identity providers allowed to call Roster's SCIM server."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["ScimClient", "ScimUserState"]


class ScimClient(models.Model):
    """An identity provider holding a bearer token for Roster's SCIM server.

    Only the SHA-256 of the token is kept; the token is shown once, when issued.
    """

    name = models.CharField(max_length=100, unique=True)
    token_prefix = models.CharField(
        max_length=16, help_text="The first characters of the token, to tell tokens apart."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    auto_invite = models.BooleanField(
        default=False, help_text="Invite people as soon as this client creates them."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "provisioning"
        ordering = ["name"]
        verbose_name = "SCIM client"
        verbose_name_plural = "SCIM clients"

    def __str__(self) -> str:
        return self.name


class ScimUserState(models.Model):
    """What Roster's SCIM server keeps of a person beyond Person's own fields.

    ``emails`` is the list as an identity provider last sent it, returned as
    long as the email Roster picked from it is still the person's email;
    ``deleted_at`` marks a person a SCIM DELETE deactivated (in ``deactivate``
    mode), whom the SCIM server then answers 404 for while they stay
    deactivated.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scim_server_state",
    )
    emails = models.JSONField(default=list, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "provisioning"
        verbose_name = "SCIM server user state"

    def __str__(self) -> str:
        return f"SCIM state of person {self.person_id}"
