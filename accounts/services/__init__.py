"""Every write to a person goes through here: validated, locked, audited, published.

Import from here (``from accounts import services``); the code lives by use
case in ``permissions`` (role checks, staff protection), ``events`` (audit
rows, ``person_changed``), ``attributes`` (validation), ``domains`` (the
email allow-list), ``organisation`` (the organisation's settings),
``people`` (creating and updating people, passwords, roles) and
``lifecycle`` (deactivating, reactivating, deleting).
"""

from accounts.services.attributes import (
    ATTRIBUTES,
    MANAGER_GRAPH_LOCK,
    MAX_MANAGER_DEPTH,
    clean_attributes,
    email_problem,
    lock_manager_graph,
    normalise_email,
)
from accounts.services.domains import (
    add_allowed_domain,
    email_domain_allowed,
    remove_allowed_domain,
)
from accounts.services.events import (
    publish,
    record_event,
    record_events_bulk,
    record_password_change,
)
from accounts.services.lifecycle import (
    BulkResult,
    deactivate_people,
    deactivate_person,
    deactivated_values,
    delete_people,
    delete_person,
    reactivate_people,
    reactivate_person,
    reactivated_values,
    revoke_api_tokens_of,
)
from accounts.services.organisation import update_organisation
from accounts.services.people import (
    create_administrator,
    create_person,
    notify_email_changes,
    set_password,
    set_role,
    update_person,
)
from accounts.services.permissions import (
    TRUSTED_ACTOR_KINDS,
    Actorish,
    require,
    require_may_change,
    staff_protection,
)

__all__ = [
    "ATTRIBUTES",
    "MANAGER_GRAPH_LOCK",
    "MAX_MANAGER_DEPTH",
    "TRUSTED_ACTOR_KINDS",
    "Actorish",
    "BulkResult",
    "add_allowed_domain",
    "clean_attributes",
    "create_administrator",
    "create_person",
    "deactivate_people",
    "deactivate_person",
    "deactivated_values",
    "delete_people",
    "delete_person",
    "email_domain_allowed",
    "email_problem",
    "lock_manager_graph",
    "normalise_email",
    "notify_email_changes",
    "publish",
    "reactivate_people",
    "reactivate_person",
    "reactivated_values",
    "record_event",
    "record_events_bulk",
    "record_password_change",
    "remove_allowed_domain",
    "require",
    "require_may_change",
    "revoke_api_tokens_of",
    "set_password",
    "set_role",
    "staff_protection",
    "update_organisation",
    "update_person",
]
