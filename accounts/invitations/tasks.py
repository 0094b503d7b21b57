"""Celery tasks that send invitation emails; each calls one service.

Found by the worker through ``app.autodiscover_tasks(related_name=...)`` in
portal/celery.py.
"""

from __future__ import annotations

from celery import shared_task

from accounts.invitations import delivery, dispatch


@shared_task(name="accounts.send_invitation", ignore_result=True)
def send_invitation_task(delivery_id: int) -> str:
    """Send one queued invitation or reminder email (idempotent: sends at most once)."""
    return delivery.send_invitation_email(delivery_id)


@shared_task(name="accounts.send_invitations", ignore_result=True)
def send_invitations_task(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of queued emails, each at most once; count the outcomes."""
    outcomes: dict[str, int] = {}
    for outcome in delivery.send_invitation_emails(delivery_ids):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(name="accounts.send_due_invitations", ignore_result=True)
def send_due_invitations_task() -> dict[str, int]:
    """Queue the invitations and reminders that are due; runs every minute from beat."""
    result = dispatch.dispatch_due_invitations()
    return {
        "invitations": result.invitations,
        "reminders": result.reminders,
        "enqueued": result.enqueued,
        "abandoned": result.abandoned,
    }


@shared_task(name="accounts.send_test_invitation", ignore_result=True)
def send_test_invitation_task(person_id: int, message: str = "") -> bool:
    """Send a sample invitation email to the administrator who asked for it."""
    return delivery.send_test_invitation_email(person_id, message)
