"""The groups an identity-provider source brings into Roster, and what it last read of them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from provisioning.idp.models import IdentitySource


class SourceGroup(models.Model):
    """A Roster group this source brought in, with the provider's id of the group."""

    source = models.ForeignKey(IdentitySource, on_delete=models.CASCADE, related_name="group_links")
    group = models.OneToOneField(
        "accounts.Group", on_delete=models.CASCADE, related_name="source_link"
    )
    # The provider's immutable id of the group (Graph ``id``, Google ``id``).
    external_key = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "source group"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_key"], name="sourcegroup_unique_external_key"
            ),
            models.CheckConstraint(
                condition=~Q(external_key=""), name="sourcegroup_external_key_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} ← {self.source_id}"


class GroupSnapshot(models.Model):
    """The source's groups in scope as last applied (compressed JSON), for delta runs."""

    source = models.OneToOneField(
        IdentitySource, on_delete=models.CASCADE, related_name="group_snapshot"
    )
    data = models.BinaryField()
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Group snapshot of {self.source_id}"


__all__ = ["GroupSnapshot", "SourceGroup"]
