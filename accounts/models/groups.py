"""Groups of people (teams, departments) and who belongs to them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models.base import TimeStampedModel
from accounts.models.people import Person


class GroupKind(models.TextChoices):
    STATIC = "static", "Static"
    RULE = "rule", "Rule-based"


class GroupSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    SPREADSHEET = "spreadsheet", "Spreadsheet"
    GOOGLE = "google", "Google Workspace"
    ENTRA = "entra", "Microsoft Entra ID"
    SCIM = "scim", "SCIM client"
    API = "api", "API"


# Sources whose syncs set a group's members (accounts.groups.sourced).
PROVIDER_SOURCES = frozenset({GroupSource.GOOGLE, GroupSource.ENTRA})


class Group(TimeStampedModel):
    """A named set of people; static (members given) or rule-based (members computed)."""

    Kind = GroupKind
    Source = GroupSource

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    external_id = models.CharField("external ID", max_length=255, null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STATIC)
    # For rule-based groups: {"match": "all"|"any", "conditions": [...]}, see
    # accounts.groups.rules. Empty for static groups.
    rule = models.JSONField(default=dict, blank=True)
    # Bumped by every change to the group or its members; SCIM targets compare
    # it with the version they last confirmed, as for people.
    version = models.PositiveBigIntegerField(default=1)
    members = models.ManyToManyField(
        Person, through="GroupMembership", related_name="member_of", blank=True
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="group_name_ci_unique"),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="group_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="group_external_id_not_blank"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="group_name_not_blank"),
            models.CheckConstraint(condition=Q(kind__in=GroupKind.values), name="group_kind_valid"),
            models.CheckConstraint(
                condition=Q(source__in=GroupSource.values), name="group_source_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="group_version_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rule_based(self) -> bool:
        return self.kind == GroupKind.RULE

    @property
    def is_provider_owned(self) -> bool:
        """An identity provider decides its members; each sync replaces them."""
        return self.source in PROVIDER_SOURCES

    @property
    def members_come_from(self) -> str:
        """Where the members are decided, when not by hand: a rule or a provider."""
        if self.is_rule_based:
            return "its rule"
        if self.is_provider_owned:
            return str(GroupSource(self.source).label)
        return ""


class GroupMembership(models.Model):
    """One person's membership of one group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "person"]
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="groupmembership_unique"),
        ]
        indexes = [models.Index(fields=["person", "group"], name="groupmembership_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} in {self.group}"
