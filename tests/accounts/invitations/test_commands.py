"""The invite and invitations commands."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.invitations import (
    invite_person,
)
from accounts.models import Invitation, LifecycleEvent
from tests.accounts.invitations.helpers import (
    START,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_invite_command_invites_by_email_at_a_time_with_a_message(admin_user):
    ada = PersonFactory(email="ada@example.com")
    active = PersonFactory(email="bob@example.com", claimed=True)
    out = StringIO()
    call_command(
        "invite",
        "ADA@example.com",
        "bob@example.com",
        "--at",
        "2099-01-05T09:30+01:00",
        "--message",
        "Hello from IT",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    invitation = Invitation.objects.get(person=ada)
    assert data == {
        "invited": [
            {
                "id": ada.pk,
                "email": "ada@example.com",
                "invitation": invitation.pk,
                "send_at": "2099-01-05T08:30:00+00:00",
            }
        ],
        "skipped": [
            {
                "id": active.pk,
                "email": "bob@example.com",
                "reason": f"{active} has already claimed their account.",
            }
        ],
    }
    assert invitation.message == "Hello from IT"
    event = LifecycleEvent.objects.get(action="invited")
    assert (event.actor_kind, event.actor_label) == ("cli", "Command line")


def test_invite_command_refuses_unknown_email_or_bad_time_and_changes_nothing(db):
    PersonFactory(email="ada@example.com")
    with pytest.raises(CommandError, match=re.escape("No person has the email nobody@example.com")):
        call_command("invite", "ada@example.com", "nobody@example.com")
    with pytest.raises(CommandError, match="is not an ISO 8601 date and time"):
        call_command("invite", "ada@example.com", "--at", "tomorrow")
    assert Invitation.objects.count() == 0


def test_invite_command_as_an_auditor_is_refused(auditor):
    PersonFactory(email="ada@example.com")
    with pytest.raises(CommandError, match=re.escape("Your role does not allow this action.")):
        call_command("invite", "ada@example.com", "--as", "auditor@example.com")
    assert Invitation.objects.count() == 0


def test_invitations_command_lists_pending_and_due(admin_user):
    due, later = PersonFactory(email="due@example.com"), PersonFactory(email="later@example.com")
    with time_machine.travel(START, tick=False):
        invite_person(due, by=admin_user, send_at=START + timedelta(minutes=5))
        invite_person(later, by=admin_user, send_at=START + timedelta(days=1))
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        out = StringIO()
        call_command("invitations", "--due", "--json", stdout=out)
        assert [row["email"] for row in json.loads(out.getvalue())] == ["due@example.com"]
        out = StringIO()
        call_command("invitations", "--json", stdout=out)
        rows = json.loads(out.getvalue())
        assert [(r["email"], r["status"], r["delivery_status"]) for r in rows] == [
            ("due@example.com", "scheduled", ""),
            ("later@example.com", "scheduled", ""),
        ]
        out = StringIO()
        call_command("invitations", stdout=out)
        assert out.getvalue().splitlines()[-1] == "2 invitations."
