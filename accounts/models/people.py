"""People, their accounts, and the email domains they may use."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from accounts.models.base import TimeStampedModel
from accounts.phones import display_phone
from accounts.roles import Role, role_has_app_access, role_has_capability


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
    # SCIM's userName when an identity provider gave one that differs from
    # the email (Entra's UPN, Okta's login); empty means "the email".
    user_name = models.CharField("userName", max_length=255, null=True, blank=True)
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
    # The number as an identity provider sent it, when that differs from
    # phone_number; with phone_number empty, it could not be parsed.
    phone_number_given = models.CharField("phone number as given", max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True, db_index=True)
    # The first working day; invitations can be scheduled relative to it.
    start_date = models.DateField(null=True, blank=True, db_index=True)
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
            # userName (the email when none was given) is unique in any case;
            # lookups compare the same expression, so they use this index.
            models.UniqueConstraint(
                Lower(Coalesce("user_name", "email", output_field=models.CharField())),
                name="person_user_name_ci_unique",
            ),
            models.CheckConstraint(condition=~Q(user_name=""), name="person_user_name_not_blank"),
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
    def scim_user_name(self) -> str:
        """Return the userName SCIM shows: the one given, else the email."""
        return self.user_name or self.email

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone_number) or self.phone_number_given

    @property
    def phone_is_unverified(self) -> bool:
        """True when the phone number is kept as given because it could not be parsed."""
        return bool(self.phone_number_given) and not self.phone_number

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
