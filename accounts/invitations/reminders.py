"""Reminding invited people: a fresh link to the same invitation, by email.

Scheduled reminders on the configured days are created by the dispatcher
(``accounts.invitations.dispatch``); these are the reminders an
administrator sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.exceptions import IllegalTransition
from accounts.invitations.invites import OPEN, InviteResult, ids_of, record_invitation_events
from accounts.invitations.queueing import chunks, queue_deliveries
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from accounts.services import Actorish, require

Delivery = InvitationDelivery


def _remind_locked(invitations: list[Invitation], *, by: Actorish, now: datetime) -> None:
    numbers = dict(
        Delivery.objects.filter(invitation__in=invitations, kind=Delivery.Kind.MANUAL_REMINDER)
        .order_by()
        .values_list("invitation")
        .annotate(n=Max("number"))
        .values_list("invitation", "n")
    )
    queue_deliveries(
        [
            Delivery(
                invitation=inv,
                kind=Delivery.Kind.MANUAL_REMINDER,
                number=numbers.get(inv.pk, 0) + 1,
            )
            for inv in invitations
        ],
        now,
    )
    record_invitation_events(
        [inv.person for inv in invitations], LifecycleEvent.Action.REMINDED, by=by
    )


@transaction.atomic
def remind_person(person: Person, *, by: Actorish) -> Invitation:
    """Email an invited person a reminder with a fresh link to the same invitation.

    The reminder extends the link's expiry. Raises IllegalTransition when the
    person has no sent, unclaimed invitation.
    """
    require(by, "accounts.change_invitation")
    now = timezone.now()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(person=person, status__in=OPEN, person__status=Person.Status.INVITED)
        .first()
    )
    if invitation is None:
        raise IllegalTransition(f"{person} has no pending invitation.")
    if invitation.status == Invitation.Status.SCHEDULED:
        raise IllegalTransition(f"The invitation to {person} has not been sent yet.")
    _remind_locked([invitation], by=by, now=now)
    return invitation


def remind_people(
    people: Iterable[Person | int] | QuerySet[Person], *, by: Actorish
) -> InviteResult:
    """Remind every invited person whose invitation has gone out; skip the rest."""
    require(by, "accounts.change_invitation")
    now = timezone.now()
    result = InviteResult()
    with transaction.atomic():
        for chunk in chunks(sorted(set(ids_of(people)))):
            invitations = list(
                Invitation.objects.select_for_update(of=("self",))
                .select_related("person")
                .filter(
                    person__in=chunk,
                    status=Invitation.Status.SENT,
                    person__status=Person.Status.INVITED,
                )
                .order_by("person_id")
            )
            remindable = {inv.person_id for inv in invitations}
            for person in Person.objects.filter(pk__in=set(chunk) - remindable).order_by("pk"):
                result.skipped.append((person, f"{person} has no sent, unclaimed invitation."))
            if invitations:
                _remind_locked(invitations, by=by, now=now)
            result.reminded += len(invitations)
            result.invitations += invitations
    return result
