"""REST API for people, their lifecycle and the audit log, and the base every API uses.

Import from here (``from accounts.apis import ApiView``); the code lives in
``base`` (permission, schema, ``ApiView``, ``StrictSerializer``), ``people``
and ``audit``.
"""

from accounts.apis.audit import AuditEventListApi
from accounts.apis.base import (
    IDEMPOTENCY_PARAMETER,
    ApiSchema,
    ApiView,
    HasCapability,
    StrictSerializer,
    idempotent_schema,
    page_of,
)
from accounts.apis.people import (
    InvitationOutputSerializer,
    ManagerSerializer,
    PersonAttributesSerializer,
    PersonCreateApi,
    PersonDeactivateApi,
    PersonDeleteApi,
    PersonDetailApi,
    PersonInviteApi,
    PersonListApi,
    PersonOutputSerializer,
    PersonReactivateApi,
    PersonRemindApi,
    PersonRevokeInvitationApi,
    PersonUpdateApi,
    ReasonSerializer,
)

__all__ = [
    "IDEMPOTENCY_PARAMETER",
    "ApiSchema",
    "ApiView",
    "AuditEventListApi",
    "HasCapability",
    "InvitationOutputSerializer",
    "ManagerSerializer",
    "PersonAttributesSerializer",
    "PersonCreateApi",
    "PersonDeactivateApi",
    "PersonDeleteApi",
    "PersonDetailApi",
    "PersonInviteApi",
    "PersonListApi",
    "PersonOutputSerializer",
    "PersonReactivateApi",
    "PersonRemindApi",
    "PersonRevokeInvitationApi",
    "PersonUpdateApi",
    "ReasonSerializer",
    "StrictSerializer",
    "idempotent_schema",
    "page_of",
]
