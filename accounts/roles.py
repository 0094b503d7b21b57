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
        "provisioning.view_importjob",
        "provisioning.add_importjob",
        "provisioning.change_importjob",
    }
)

# Capabilities nobody but a System administrator holds, even where the app
# above is otherwise open to account managers.
ADMIN_ONLY_CAPABILITIES = frozenset({"accounts.change_role", "accounts.change_alloweddomain"})


def role_has_capability(role: str, capability: str) -> bool:
    """Tell whether ``role`` grants ``capability`` (``app_label.codename``)."""
    if role == Role.ADMIN:
        return True
    if capability in ADMIN_ONLY_CAPABILITIES:
        return False
    if role == Role.ACCOUNT_MANAGER:
        return capability in ACCOUNT_MANAGER_CAPABILITIES
    if role == Role.AUDITOR:
        codename = capability.partition(".")[2]
        return codename.startswith("view_")
    return False


def role_has_app_access(role: str, app_label: str) -> bool:
    """Tell whether ``role`` sees ``app_label`` in the admin at all."""
    if role == Role.ADMIN:
        return True
    if role == Role.ACCOUNT_MANAGER:
        return any(c.startswith(f"{app_label}.") for c in ACCOUNT_MANAGER_CAPABILITIES)
    return role == Role.AUDITOR
