"""Celery tasks for people: thin interfaces that re-read rows and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts import services
from accounts.actors import SYSTEM, Actor
from accounts.exceptions import NotAllowed
from accounts.models import Person
from accounts.organisation import current_organisation

logger = logging.getLogger(__name__)


@shared_task(name="accounts.deactivate_people")
def deactivate_people_task(
    person_ids: list[int], actor_id: int | None = None, reason: str = ""
) -> dict[str, list[int]]:
    """Deactivate the people with these ids, on behalf of ``actor_id`` (None: the system).

    Idempotent: people already deactivated are skipped and people deleted
    since are ignored, so a redelivered message changes nothing. If the actor
    no longer exists or lost the right to deactivate, nothing changes.
    Returns the ids done and skipped.
    """
    by: Person | Actor = SYSTEM
    if actor_id is not None:
        actor = Person.objects.filter(pk=actor_id).first()
        if actor is None:
            logger.warning("Deactivation by deleted person #%s dropped.", actor_id)
            return {"done": [], "skipped": []}
        by = actor
    people = list(Person.objects.filter(pk__in=person_ids).order_by("pk"))
    try:
        result = services.deactivate_people(people, by=by, reason=reason)
    except NotAllowed as exc:
        logger.warning("Deactivation by person #%s refused: %s", actor_id, exc.message)
        return {"done": [], "skipped": []}
    return {
        "done": [p.pk for p in result.done],
        "skipped": [p.pk for p, _ in result.skipped],
    }


@shared_task(name="accounts.purge_idempotency_keys")
def purge_idempotency_keys_task() -> int:
    """Delete API idempotency keys older than 24 hours; return how many."""
    from accounts.idempotency import purge_idempotency_keys

    return purge_idempotency_keys()


@shared_task(name="accounts.notify_email_changed", autoretry_for=(OSError,), retry_backoff=True)
def notify_email_changed_task(person_id: int, old_email: str, new_email: str) -> bool:
    """Tell ``old_email`` that the person's email became ``new_email``.

    Sent even if the person has been deleted since: the old address's owner
    still deserves to know. Returns whether a message went out.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    person = Person.objects.filter(pk=person_id).first()
    context = {
        "organisation": current_organisation().name,
        "name": person.display_name if person else "",
        "old_email": old_email,
        "new_email": new_email,
    }
    subject = " ".join(render_to_string("emails/email_changed_subject.txt", context).split())
    body = render_to_string("emails/email_changed.txt", context)
    return bool(send_mail(subject, body, None, [old_email]))
