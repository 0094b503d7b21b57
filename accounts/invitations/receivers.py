"""What invitations do when the people services change someone."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.invitations.invites import revoke_open_invitations
from accounts.models import Person
from accounts.signals import person_deactivating


@receiver(person_deactivating)
def revoke_invitations_of_deactivated(sender: type, *, person: Person, **kwargs: Any) -> None:
    """A deactivated person's links stop working and their queued emails are cancelled."""
    revoke_open_invitations(person, reason="The person was deactivated.")
