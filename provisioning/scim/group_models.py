"""The (group, target) links: the outbox of groups and their members."""

from __future__ import annotations

from django.db import models

from provisioning.scim.models import ScimTarget

__all__ = ["ScimGroupLink"]


class ScimGroupLink(models.Model):
    """One group on one target: the remote id and the members the target confirmed."""

    target = models.ForeignKey(ScimTarget, on_delete=models.CASCADE, related_name="group_links")
    # SET_NULL keeps the link of a deleted group so the push removes the
    # remote group; group_ref still says which it was.
    group = models.ForeignKey(
        "accounts.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scim_links",
    )
    group_ref = models.BigIntegerField()
    remote_id = models.CharField(max_length=255, null=True, blank=True)
    # 0 = never pushed; equals Group.version once every member was confirmed.
    synced_version = models.PositiveBigIntegerField(default=0)
    display_name = models.CharField(max_length=200, blank=True)
    # Roster person ids the target confirmed as members.
    members = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)
    failed_version = models.PositiveBigIntegerField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "provisioning"
        ordering = ["target", "group_ref"]
        verbose_name = "SCIM group link"
        constraints = [
            models.UniqueConstraint(fields=["target", "group_ref"], name="scimgrouplink_unique"),
        ]

    def __str__(self) -> str:
        return f"group #{self.group_ref} on {self.target_id}"
