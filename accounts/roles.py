"""Roles and the capabilities they grant, checked by every interface and service.

A capability is a Django permission string (``app_label.codename``), so the
admin's own permission checks and ours read from the same table below.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    NONE = "", "No admin access"
    ADMIN = "admin", "System administrator"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    AUDITOR = "auditor", "Auditor"


# Apps whose every object an Account manager may read and write. Integrations
# (SCIM targets, identity-provider sources, SCIM clients), roles and settings
# (allowed domains, schedules) stay with System administrators.
ACCOUNT_MANAGER_CAPABILITIES = frozenset(
    {
        "accounts.view_person",
        "accounts.add_person",
        "accounts.change_person",
        "accounts.delete_person",
        "accounts.deactivate_person",
        "accounts.view_lifecycleevent",
        "accounts.view_alloweddomain",
        "accounts.view_invitation",
        "accounts.add_invitation",
        "accounts.change_invitation",
        "accounts.view_group",
        "accounts.add_group",
        "accounts.change_group",
        "accounts.delete_group",
        "provisioning.view_importjob",
        "provisioning.add_importjob",
        "provisioning.change_importjob",
        "provisioning.view_savedcolumnmapping",
        "provisioning.add_savedcolumnmapping",
        "provisioning.change_savedcolumnmapping",
        "provisioning.delete_savedcolumnmapping",
    }
)

# Capabilities nobody but a System administrator holds, even where the app
# above is otherwise open to account managers.
ADMIN_ONLY_CAPABILITIES = frozenset({"accounts.change_role", "accounts.change_alloweddomain"})


# What an Auditor reads: Roster's own records, listed one by one, so a model
# added later (or another app's, such as MFA authenticators holding TOTP keys)
# is never readable by default.
AUDITOR_CAPABILITIES = frozenset(
    {
        "accounts.view_person",
        "accounts.view_lifecycleevent",
        "accounts.view_alloweddomain",
        "accounts.view_invitation",
        "accounts.view_apitoken",
        "accounts.view_organisation",
        "accounts.view_group",
        "provisioning.view_importjob",
        "provisioning.view_savedcolumnmapping",
        "provisioning.view_scimtarget",
        "provisioning.view_scimrun",
        "provisioning.view_scimlink",
        "provisioning.view_scimclient",
        "provisioning.view_identitysource",
        "provisioning.view_syncrun",
    }
)

# The apps whose permissions roles grant. Other apps' tables (allauth's MFA
# authenticators and email addresses, Django's groups and permissions, the
# scheduler's tables) are reached only through Roster's own pages.
ROSTER_APPS = frozenset({"accounts", "provisioning"})


def role_has_capability(role: str, capability: str) -> bool:
    """Tell whether ``role`` grants ``capability`` (``app_label.codename``)."""
    if capability.partition(".")[0] not in ROSTER_APPS:
        return False
    if role == Role.ADMIN:
        return True
    if capability in ADMIN_ONLY_CAPABILITIES:
        return False
    if role == Role.ACCOUNT_MANAGER:
        return capability in ACCOUNT_MANAGER_CAPABILITIES
    if role == Role.AUDITOR:
        return capability in AUDITOR_CAPABILITIES
    return False


def role_has_app_access(role: str, app_label: str) -> bool:
    """Tell whether ``role`` sees ``app_label`` in the admin at all."""
    if app_label not in ROSTER_APPS:
        return False
    if role == Role.ADMIN:
        return True
    if role == Role.ACCOUNT_MANAGER:
        return any(c.startswith(f"{app_label}.") for c in ACCOUNT_MANAGER_CAPABILITIES)
    if role == Role.AUDITOR:
        return any(c.startswith(f"{app_label}.") for c in AUDITOR_CAPABILITIES)
    return False
