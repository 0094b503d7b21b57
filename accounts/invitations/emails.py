"""Invitation and reminder emails, rendered from overridable templates.

An organisation overrides ``templates/emails/invitation.{txt,html}``,
``reminder.{txt,html}`` and ``*_subject.txt`` to change the wording.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.policy import Compat32
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Person
from accounts.organisation import current_organisation


class _HeaderPolicy(Compat32):
    """Django's compat32 policy, minus the folding work for lines that need none.

    A header that is plain ASCII on one line and already fits the line length
    is written as is, which is exactly what compat32's folding produces for
    it; anything else (long or multi-line) is folded by compat32 itself.
    Django has already encoded non-ASCII names and subjects by then.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and self.max_line_length
            and len(name) + len(value) + 2 <= self.max_line_length
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        # typeshed leaves out Compat32's private _fold, which this overrides.
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


_HEADER_POLICY = _HeaderPolicy()


class InvitationEmail(EmailMultiAlternatives):
    """An email whose headers and MIME boundary are written without needless work.

    The boundary is chosen here, as the stdlib generator would choose it, but
    checked with a substring test rather than a regular expression compiled
    anew for every message.
    """

    # django-stubs 6.1 describe Django 6's message(*, policy=...); Django 5.2's
    # takes no arguments.
    def message(self) -> Message:  # type: ignore[override]
        msg = super().message()
        msg.policy = _HEADER_POLICY
        if msg.is_multipart():
            boundary = f"{'=' * 15}{random.randrange(sys.maxsize):019d}=="
            texts = [self.body, *(content for content, _ in self.alternatives)]
            if all(isinstance(t, str) and boundary not in t for t in texts):
                msg.set_boundary(boundary)
        return msg


# The claim token of "send me a test email": a link that leads nowhere.
SAMPLE_TOKEN = "this-is-a-sample-link-it-does-not-work"


def absolute_url(path: str) -> str:
    return f"{settings.ROSTER_BASE_URL.rstrip('/')}{path}"


def claim_url(token: str) -> str:
    return absolute_url(reverse("accounts:claim", args=[token]))


@dataclass(frozen=True)
class Links:
    """The absolute links of an email, worked out once for a whole batch.

    Reversing a URL costs about as much as rendering a short template; the
    claim links of a batch differ only in their token, which is URL-safe and
    so goes into the link as it is.
    """

    claim_before: str
    claim_after: str
    new_link: str

    @classmethod
    def resolve(cls) -> Links:
        placeholder = "0token0"
        before, _, after = claim_url(placeholder).rpartition(placeholder)
        return cls(before, after, absolute_url(reverse("accounts:new-link")))

    def claim(self, token: str) -> str:
        return f"{self.claim_before}{token}{self.claim_after}"


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
    links: Links | None = None,
) -> InvitationEmail:
    """Build the email ``template`` ("invitation" or "reminder") for ``person``.

    A caller building many emails passes one ``Links.resolve()`` to them all.
    """
    links = links or Links.resolve()
    context: dict[str, Any] = {
        "organisation": current_organisation().name,
        "person": person,
        "name": person.first_name or person.display_name,
        "inviter": inviter,
        "message": message,
        "claim_url": links.claim(token),
        "new_link_url": links.new_link,
        "expires_at": expires_at,
        "reminder_number": reminder_number,
        "is_test": is_test,
    }
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    if is_test:
        subject = f"[Test] {subject}"
    email = InvitationEmail(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return email
