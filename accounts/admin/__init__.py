"""The admin panel for people, the audit log and allowed domains.

Django's autodiscovery imports this package, which registers every page:
``people`` (the People list and person page, with ``lifecycle`` actions),
``audit`` (the audit log), ``domains`` (allowed domains), ``organisation`` (the Organisation
settings page) and, from
``accounts.api_tokens``, API tokens; ``site`` leaves out the pages of
Django's and its add-ons' own models. ``ServiceAdmin`` (``base``) is the
base of every admin whose forms save through a service.
"""

from accounts import api_tokens as _api_tokens  # noqa: F401  (registers ApiTokenAdmin)
from accounts.admin import site as _site  # noqa: F401  (unregisters unused pages)
from accounts.admin.audit import LifecycleEventAdmin
from accounts.admin.base import ServiceAdmin
from accounts.admin.domains import AllowedDomainAdmin
from accounts.admin.lifecycle import OPERATIONS, LifecycleActionsMixin, Operation
from accounts.admin.organisation import OrganisationAdmin
from accounts.admin.people import PersonAdmin

__all__ = [
    "OPERATIONS",
    "AllowedDomainAdmin",
    "LifecycleActionsMixin",
    "LifecycleEventAdmin",
    "Operation",
    "OrganisationAdmin",
    "PersonAdmin",
    "ServiceAdmin",
]
