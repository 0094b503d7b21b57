"""Helpers the invitation tests share: running queued sends, reading links and callbacks."""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime

from django.core.mail.backends.base import BaseEmailBackend

from accounts.invitations import queueing
from accounts.invitations.tasks import send_invitation_task
from accounts.models import InvitationDelivery

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})/")


def enqueued(callbacks) -> list[int]:
    """Delivery ids the captured on-commit callbacks would put on the broker."""
    ids: list[int] = []
    for callback in callbacks:
        if getattr(callback, "func", None) is queueing.enqueue_deliveries:
            ids += callback.args[0]
    return ids


def dispatched(callbacks) -> int:
    return sum(cb is queueing._dispatch_soon for cb in callbacks)


def deliver_queued() -> list[str]:
    """Run the send task for every queued email, as a worker would."""
    ids = InvitationDelivery.objects.filter(status="queued").order_by("pk")
    return [send_invitation_task(pk) for pk in ids.values_list("pk", flat=True)]


def tokens(message) -> list[str]:
    return TOKEN_RE.findall(message.body)


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such mailbox")})


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")
