"""The invitation email's bytes on the wire: same as Django's, only cheaper to write."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core.mail import EmailMultiAlternatives

from accounts.invitations.emails import InvitationEmail, build_message
from accounts.models import Person


def _pair(subject: str, name: str) -> tuple[bytes, bytes]:
    fields = {
        "subject": subject,
        "body": f"Hello {name},\nSet up your account.\n",
        "from_email": "Röster Team <roster@example.org>",
        "to": [f'"{name}" <person@example.org>'],
        "headers": {
            "Auto-Submitted": "auto-generated",
            "Message-ID": "<1@example.org>",
            "Date": "Thu, 26 Nov 2026 08:00:00 -0000",
        },
    }
    ours = InvitationEmail(**fields)
    ours.attach_alternative(f"<p>Hello {name}</p>", "text/html")
    django = EmailMultiAlternatives(**fields)
    django.attach_alternative(f"<p>Hello {name}</p>", "text/html")
    ours_message = ours.message()
    django_message = django.message()
    django_message.set_boundary(ours_message.get_boundary())
    return ours_message.as_bytes(linesep="\r\n"), django_message.as_bytes(linesep="\r\n")


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Ada invited you to Roster", "Ada"),
        ("Zoë Ångström invited you to Ørsted", "Łukasz Żółć"),
        ("A subject long enough that it has to be folded onto a second line " * 2, "Bo"),
        ("日本語の件名" * 6, "Very Long Name " * 6),
    ],
)
def test_invitation_email_bytes_match_djangos_for_the_same_message(subject: str, name: str) -> None:
    ours, django = _pair(subject, name)

    assert ours == django


@pytest.mark.django_db  # the organisation's name comes from its settings
def test_invitation_email_has_a_fresh_boundary_and_both_parts_with_encoded_subject() -> None:
    person = Person(email="zoe@example.org", first_name="Zoë", last_name="Ångström")
    emails = [
        build_message(
            template="invitation",
            person=person,
            token="token",
            inviter="Łukasz",
            message="",
            expires_at=None,
        )
        for _ in range(2)
    ]

    messages = [
        email.message_from_bytes(e.message().as_bytes(), policy=policy.default) for e in emails
    ]

    assert messages[0].get_boundary() != messages[1].get_boundary()
    parsed = messages[0]
    assert parsed["Subject"] == "Łukasz invited you to Roster"
    assert parsed["To"] == "zoe@example.org"
    assert [part.get_content_type() for part in parsed.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert "Hello Zoë," in parsed.get_body(("plain",)).get_content()
    assert "http://localhost:8000/invitation/token/" in parsed.get_body(("html",)).get_content()
