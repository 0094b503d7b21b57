"""Invitation and reminder emails, rendered from overridable templates.

An organisation overrides ``templates/emails/invitation.{txt,html}``,
``reminder.{txt,html}`` and ``*_subject.txt`` to change the wording.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Person


def absolute_url(path: str) -> str:
    return f"{settings.ROSTER_BASE_URL.rstrip('/')}{path}"


def claim_url(token: str) -> str:
    return absolute_url(reverse("accounts:claim", args=[token]))


def build_message(
    *,
    template: str,
    person: Person,
    token: str,
    inviter: str,
    message: str,
    expires_at: datetime | None,
    reminder_number: int = 0,
    is_test: bool = False,
) -> EmailMultiAlternatives:
    """Build the email ``template`` ("invitation" or "reminder") for ``person``."""
    context: dict[str, Any] = {
        "organisation": settings.ORGANISATION_NAME,
        "person": person,
        "name": person.first_name or person.display_name,
        "inviter": inviter,
        "message": message,
        "claim_url": claim_url(token),
        "new_link_url": absolute_url(reverse("accounts:new-link")),
        "expires_at": expires_at,
        "reminder_number": reminder_number,
        "is_test": is_test,
    }
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    if is_test:
        subject = f"[Test] {subject}"
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return email
