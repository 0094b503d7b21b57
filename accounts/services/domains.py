"""The allow-list of email domains: checking an address, adding and removing domains."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.exceptions import InvalidPerson
from accounts.models import AllowedDomain, LifecycleEvent
from accounts.services.events import record_event
from accounts.services.permissions import Actorish, require


def email_domain_allowed(email: str) -> bool:
    """Tell whether ``email``'s domain is on the allow-list (an empty list allows all)."""
    domains = AllowedDomain.objects.values_list("domain", flat=True)
    if not domains.exists():
        return True
    return domains.filter(domain=email.rpartition("@")[2].lower()).exists()


@transaction.atomic
def add_allowed_domain(domain: str, *, by: Actorish, is_verified: bool = False) -> AllowedDomain:
    """Add a domain to the allow-list. Raises InvalidPerson for a malformed or known domain."""
    require(by, "accounts.change_alloweddomain")
    name = (domain or "").strip().lower().lstrip("@")
    try:
        validate_email(f"check@{name}")
    except ValidationError as exc:
        raise InvalidPerson({"domain": f"“{domain}” is not a valid domain."}) from exc
    if AllowedDomain.objects.filter(domain=name).exists():
        raise InvalidPerson({"domain": f"{name} is already allowed."})
    allowed = AllowedDomain.objects.create(domain=name, is_verified=is_verified)
    record_event(
        None,
        LifecycleEvent.Action.DOMAIN_ADDED,
        by=by,
        subject=name,
        subject_kind=LifecycleEvent.SubjectKind.DOMAIN,
    )
    return allowed


@transaction.atomic
def remove_allowed_domain(allowed: AllowedDomain, *, by: Actorish) -> None:
    """Remove a domain from the allow-list; people already using it keep their email."""
    require(by, "accounts.change_alloweddomain")
    record_event(
        None,
        LifecycleEvent.Action.DOMAIN_REMOVED,
        by=by,
        subject=allowed.domain,
        subject_kind=LifecycleEvent.SubjectKind.DOMAIN,
    )
    allowed.delete()
