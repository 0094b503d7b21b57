"""The models of accounts; import them from here (``from accounts.models import Person``).

``people`` (Person, AllowedDomain), ``audit`` (LifecycleEvent),
``groups`` (Group, GroupMembership),
``invitations`` (Invitation, InvitationDelivery), ``organisation``
(Organisation, the settings edited in the admin), ``api`` (ApiToken,
IdempotencyKey) and ``base`` (TimeStampedModel, for every app).
"""

from accounts.models.api import ApiToken, IdempotencyKey
from accounts.models.audit import LifecycleEvent
from accounts.models.base import TimeStampedModel
from accounts.models.groups import Group, GroupKind, GroupMembership, GroupSource
from accounts.models.invitations import (
    DeliveryStatus,
    Invitation,
    InvitationDelivery,
    InvitationStatus,
)
from accounts.models.organisation import Organisation
from accounts.models.people import (
    AllowedDomain,
    Person,
    PersonManager,
    PersonSource,
    PersonStatus,
    new_security_stamp,
)

__all__ = [
    "AllowedDomain",
    "ApiToken",
    "DeliveryStatus",
    "Group",
    "GroupKind",
    "GroupMembership",
    "GroupSource",
    "IdempotencyKey",
    "Invitation",
    "InvitationDelivery",
    "InvitationStatus",
    "LifecycleEvent",
    "Organisation",
    "Person",
    "PersonManager",
    "PersonSource",
    "PersonStatus",
    "TimeStampedModel",
    "new_security_stamp",
]
