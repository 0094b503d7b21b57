"""SCIM server use cases: issuing and revoking clients, and the User operations,
each mapped onto accounts.services so every change is validated and audited
with the SCIM client as the actor."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import services as people
from accounts.actors import Actor
from accounts.audit import record_setting_event, setting_changes
from accounts.exceptions import CannotDeleteClaimed, DomainError, InvalidPerson
from accounts.invitations import invite_person
from accounts.models import LifecycleEvent, Person
from accounts.selectors import user_name_ci
from accounts.services.attributes import lenient_phone
from provisioning.scim_server.errors import ScimError, invalid_value, not_found
from provisioning.scim_server.filters import parse_filter, to_q
from provisioning.scim_server.mapping import (
    Desired,
    canonicalise,
    desired_from_doc,
    etag,
    person_to_doc,
)
from provisioning.scim_server.models import ScimClient
from provisioning.scim_server.patch import apply_operations, operations_of
from provisioning.scim_server.schema import DEFAULT_COUNT, MAX_RESULTS
from provisioning.scim_server.state import keep_emails, mark_deleted, without_deleted

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "rsc_"
AUTH_CACHE_SECONDS = 5
LAST_USED_EVERY = timedelta(minutes=1)


# --- clients ----------------------------------------------------------------


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its token, which is shown this once and never stored."""

    client: ScimClient
    token: str


@dataclass(frozen=True)
class AuthenticatedClient:
    """What a request needs to know about its client (cached for a few seconds)."""

    id: int
    name: str
    auto_invite: bool

    @property
    def actor(self) -> Actor:
        return Actor(kind="scim", label=f"SCIM client {self.name}", role="admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _auth_cache_key(token_hash: str) -> str:
    return f"scim_server:auth:{token_hash}"


@transaction.atomic
def issue_client(name: str, *, by: Person | Actor, auto_invite: bool = False) -> IssuedClient:
    """Create a SCIM client with a fresh token; return the token once.

    Raises InvalidClient for a blank, too long or taken name; NotAllowed for
    roles other than System administrator.
    """
    people.require(by, "provisioning.add_scimclient")
    name = (name or "").strip()
    if not name:
        raise InvalidClient("A SCIM client needs a name.")
    if len(name) > 100:
        raise InvalidClient("SCIM client names are limited to 100 characters.")
    if ScimClient.objects.filter(name__iexact=name).exists():
        raise InvalidClient(f"A SCIM client named {name} already exists.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ScimClient.objects.create(
        name=name,
        token_prefix=token[:12],
        token_hash=hash_token(token),
        auto_invite=auto_invite,
        created_by=by if isinstance(by, Person) else None,
    )
    _audit(
        client,
        LifecycleEvent.Action.CREATED,
        by=by,
        changes=setting_changes(
            None,
            {"name": name, "auto_invite": auto_invite, "token": token},
            secrets=["token"],
        ),
    )
    logger.info("SCIM client %s issued by %s", name, by)
    return IssuedClient(client=client, token=token)


def _audit(client: ScimClient, action: str, *, by: Person | Actor, **kwargs: Any) -> None:
    record_setting_event(
        LifecycleEvent.SubjectKind.SCIM_CLIENT, client.name, action, by=by, **kwargs
    )


@transaction.atomic
def revoke_client(client: ScimClient, *, by: Person | Actor) -> ScimClient:
    """Revoke a client's token at once (other web processes within a few seconds)."""
    people.require(by, "provisioning.change_scimclient")
    client = ScimClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.is_active = False
        client.revoked_at = timezone.now()
        client.save(update_fields=["is_active", "revoked_at"])
        _audit(client, LifecycleEvent.Action.TOKEN_REVOKED, by=by)
        logger.info("SCIM client %s revoked by %s", client.name, by)
    _forget(client)
    return client


@transaction.atomic
def set_client_auto_invite(client: ScimClient, *, auto_invite: bool, by: Person | Actor) -> None:
    """Turn inviting new people on creation on or off for ``client``."""
    people.require(by, "provisioning.change_scimclient")
    client = ScimClient.objects.select_for_update().get(pk=client.pk)
    if client.auto_invite != auto_invite:
        _audit(
            client,
            LifecycleEvent.Action.UPDATED,
            by=by,
            changes={"auto_invite": [client.auto_invite, auto_invite]},
        )
        client.auto_invite = auto_invite
        client.save(update_fields=["auto_invite"])
    _forget(client)


def _forget(client: ScimClient) -> None:
    # Now, and again after commit in case a request cached the old row between.
    key = _auth_cache_key(client.token_hash)
    cache.delete(key)
    transaction.on_commit(partial(cache.delete, key))


class InvalidClient(DomainError):
    """The SCIM client cannot be issued as asked."""


def authenticate(token: str) -> AuthenticatedClient | None:
    """Return the active client holding ``token``, or None.

    One indexed lookup by the token's hash, cached for a few seconds; the
    last-used time is written at most once a minute per client.
    """
    if not token or len(token) > 200:
        return None
    token_hash = hash_token(token)
    key = _auth_cache_key(token_hash)
    cached = cache.get(key)
    if cached is None:
        row = (
            ScimClient.objects.filter(token_hash=token_hash, is_active=True)
            .values("id", "name", "auto_invite")
            .first()
        )
        cached = AuthenticatedClient(**row) if row else False
        cache.set(key, cached, AUTH_CACHE_SECONDS)
    if not cached:
        return None
    if cache.add(f"scim_server:used:{cached.id}", 1, int(LAST_USED_EVERY.total_seconds())):
        now = timezone.now()
        ScimClient.objects.filter(pk=cached.id, is_active=True).update(last_used_at=now)
    return cached


# --- users ------------------------------------------------------------------


def list_people() -> QuerySet[Person]:
    """People as the SCIM server reads them, with the case-folded email and userName aliases.

    People a SCIM DELETE deactivated are left out (RFC 7644 §3.6).
    """
    people = Person.objects.alias(email_ci=Lower("email"), user_name_ci=user_name_ci())
    return without_deleted(people).select_related("scim_server_state").order_by("pk")


def get_person(person_id: str) -> Person:
    """Return the person with this SCIM id; raise ScimError 404 if there is none."""
    if not person_id.isdigit() or len(person_id) > 18:
        raise not_found(f"No user with id {person_id}.")
    person = list_people().filter(pk=int(person_id)).first()
    if person is None:
        raise not_found(f"No user with id {person_id}.")
    return person


@dataclass(frozen=True)
class Page:
    people: list[Person]
    total: int
    start_index: int


def search_people(
    *, filter_text: str | None, start_index: int = 1, count: int | None = None
) -> Page:
    """Return one page of people matching a SCIM filter, in id order."""
    qs = list_people()
    if filter_text:
        qs = qs.filter(to_q(parse_filter(filter_text)))
    start_index = max(start_index, 1)
    count = DEFAULT_COUNT if count is None else min(max(count, 0), MAX_RESULTS)
    offset = start_index - 1
    if count == 0:
        return Page([], qs.count(), start_index)
    rows = list(qs[offset : offset + count])
    # A lookup by userName or externalId finds one person at most: the page
    # already says how many there are, so skip the COUNT.
    total = len(rows) if offset == 0 and len(rows) < count else qs.count()
    return Page(rows, total, start_index)


def _scim_error_for(exc: DomainError) -> ScimError:
    if isinstance(exc, InvalidPerson):
        duplicate = [f for f, msg in exc.errors.items() if "already" in msg and f != "domain"]
        if duplicate:
            return ScimError(409, exc.message, "uniqueness")
        return invalid_value(exc.message)
    if isinstance(exc, CannotDeleteClaimed):
        return ScimError(409, exc.message, "mutability")
    from accounts.exceptions import NotAllowed

    if isinstance(exc, NotAllowed):
        return ScimError(403, exc.message)
    return ScimError(409, exc.message)


def _resolve_manager(desired: Desired, *, person_id: int | None) -> dict[str, Any]:
    if not desired.manager_set:
        return {}
    ref = desired.manager_ref
    if not ref:
        return {"manager": None}
    if not ref.isdigit() or len(ref) > 18:
        raise invalid_value(f"No user with id {ref} to be the manager.")
    manager = Person.objects.filter(pk=int(ref)).first()
    if manager is None:
        raise invalid_value(f"No user with id {ref} to be the manager.")
    return {"manager": manager}


def _check_precondition(person: Person, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags or etag(person) in tags or etag(person)[2:] in tags:
        return
    raise ScimError(412, "The user has changed since that version (If-Match).")


def _changes_for(person: Person, values: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for name, value in values.items():
        current = getattr(person, name)
        if name == "manager":
            if (current.pk if current else None) != (value.pk if value else None):
                changes[name] = value
        elif (current or "") != (value or ""):
            changes[name] = value
    return changes


def _deactivate_reason(client: AuthenticatedClient) -> str:
    return f"Deactivated by SCIM client {client.name}"


def _apply(
    person: Person, desired: Desired, client: AuthenticatedClient, *, ignore_active: bool = False
) -> Person:
    by = client.actor
    values = dict(desired.values)
    values.update(_resolve_manager(desired, person_id=person.pk))
    if "phone_number_given" in values:
        values.update(lenient_phone(values["phone_number_given"]))
    changes = _changes_for(person, values)
    if desired.active is True and person.status == Person.Status.DEACTIVATED:
        person = people.reactivate_person(person, by=by, reason="Reactivated over SCIM")
    if changes:
        person = people.update_person(person, by=by, **changes)
    if desired.emails_set:
        keep_emails(person, desired.emails)
    if desired.active is False and person.status != Person.Status.DEACTIVATED:
        person = people.deactivate_person(person, by=by, reason=_deactivate_reason(client))
    return person


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        with transaction.atomic():
            return fn(*args, **kwargs)
    except DomainError as exc:
        raise _scim_error_for(exc) from exc


def create_user(body: Any, *, client: AuthenticatedClient) -> Person:
    """Create a person from a SCIM User (source "scim"); invite them if the client says so.

    Raises ScimError: 400 for invalid values, 409 when userName or externalId is taken.
    """
    return _run(_create_user, body, client=client)


def _create_user(body: Any, *, client: AuthenticatedClient) -> Person:
    doc = canonicalise(body)
    if not doc.get("userName"):
        raise invalid_value("userName is required.")
    desired = desired_from_doc(doc)
    values = dict(desired.values)
    values.update(_resolve_manager(desired, person_id=None))
    person = people.create_person(source=Person.Source.SCIM, by=client.actor, **values)
    keep_emails(person, desired.emails)
    if desired.active is False:
        person = people.deactivate_person(
            person, by=client.actor, reason=_deactivate_reason(client)
        )
    elif client.auto_invite:
        _invite(person, client)
    return person


def _invite(person: Person, client: AuthenticatedClient) -> None:
    invite_person(person, by=client.actor)


def replace_user(
    person: Person, body: Any, *, client: AuthenticatedClient, if_match: str | None = None
) -> Person:
    """Replace a person's attributes with a full SCIM User (PUT).

    Attributes left out are cleared, except externalId/employeeNumber and active,
    which are kept. Raises ScimError (400, 409, 412).
    """

    def run() -> Person:
        locked = Person.objects.select_for_update().get(pk=person.pk)
        _check_precondition(locked, if_match)
        doc = canonicalise(body)
        if not doc.get("userName"):
            raise invalid_value("userName is required.")
        return _apply(locked, desired_from_doc(doc), client)

    return _run(run)


def patch_user(
    person: Person,
    body: Any,
    *,
    client: AuthenticatedClient,
    base: str,
    if_match: str | None = None,
) -> Person:
    """Apply a SCIM PatchOp to a person. Raises ScimError (400, 409, 412)."""
    operations = operations_of(body)

    def run() -> Person:
        locked = Person.objects.select_for_update().get(pk=person.pk)
        _check_precondition(locked, if_match)
        original = canonicalise(person_to_doc(locked, base))
        working = canonicalise(person_to_doc(locked, base))
        apply_operations(working, operations)
        doc = canonicalise(working)
        if not doc.get("userName"):
            raise invalid_value("userName cannot be removed.")
        return _apply(locked, desired_from_doc(doc, original=original), client)

    return _run(run)


def delete_user(
    person: Person, *, client: AuthenticatedClient, if_match: str | None = None
) -> None:
    """Deactivate or delete a person, as ROSTER_SCIM_DELETE_MODE says.

    In "delete" mode a person who has claimed their account cannot be deleted
    and is deactivated instead. Raises ScimError (412).
    """

    def run() -> None:
        locked = Person.objects.select_for_update().get(pk=person.pk)
        _check_precondition(locked, if_match)
        mode = getattr(settings, "ROSTER_SCIM_DELETE_MODE", "deactivate")
        if mode == "delete" and not locked.has_claimed:
            people.delete_person(
                locked, by=client.actor, reason=f"Deleted by SCIM client {client.name}"
            )
            return
        if locked.status != Person.Status.DEACTIVATED:
            people.deactivate_person(locked, by=client.actor, reason=_deactivate_reason(client))
        # The person stays in Roster, deactivated, but the SCIM resource is
        # gone: later requests for it answer 404.
        mark_deleted(locked)

    _run(run)
