"""An invited person claims their account from the emailed link, in a real browser.

The invitation goes through the real send path to a real SMTP server
(aiosmtpd on loopback); the link is taken from the message it received.
"""

from __future__ import annotations

import re
import urllib.request
from email import message_from_bytes
from email.message import Message

import pytest

from accounts.invitations import invite_person
from accounts.invitations.tasks import send_due_invitations_task, send_invitations_task
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests import servers
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "a sturdy claim passphrase"
LINK_RE = re.compile(r"https?://[^\s\"<>]+/invitation/[A-Za-z0-9_-]{20,}/")


@pytest.fixture
def mail_server(settings, live_server):
    with servers.mail_server() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.ROSTER_BASE_URL = live_server.url
        yield sink


def _text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the email has no text part")


def _invite_and_send(person: Person, sink: servers.MailSink) -> str:
    """Invite ``person`` through the services, send the email, return its claim link."""
    admin = PersonFactory(admin=True, email="admin@example.com")
    invite_person(person, by=admin)
    delivery_ids = list(InvitationDelivery.objects.values_list("pk", flat=True))
    # What the workers run: the dispatcher finds nothing new to enqueue here
    # (the service enqueued on commit), then the send task mails the batch.
    send_due_invitations_task()
    assert send_invitations_task(delivery_ids) == {"sent": 1}
    received = sink.received()
    assert [rcpts for rcpts, _ in received] == [[person.email]]
    message = message_from_bytes(received[0][1])
    assert message["Subject"] == f"{admin.display_name} invited you to Roster"
    links = LINK_RE.findall(_text_part(message))
    assert len(set(links)) == 1
    return links[0]


def _claim_in_browser(page, link: str) -> None:
    page.goto(link)
    assert page.locator("h1").inner_text() == "Welcome, Ada"
    assert page.locator('input[name="first_name"]').input_value() == "Ada"
    assert page.locator('input[name="last_name"]').input_value() == "Lovelace"
    page.fill('input[name="last_name"]', "King")
    page.fill('input[name="password1"]', PASSPHRASE)
    page.fill('input[name="password2"]', PASSPHRASE)
    page.get_by_role("button", name="Set up my account").click()
    page.wait_for_url(re.compile(r"/me/$"))
    assert page.locator("h1").inner_text() == "Your account"
    assert "Ada King" in page.locator("table").inner_text()


def _assert_claimed(person: Person) -> None:
    person.refresh_from_db()
    assert person.status == Person.Status.ACTIVE
    assert (person.first_name, person.last_name) == ("Ada", "King")
    assert person.check_password(PASSPHRASE)
    assert Invitation.objects.get(person=person).status == Invitation.Status.CLAIMED
    assert LifecycleEvent.objects.filter(person=person, action="claimed").count() == 1


def test_invited_person_claims_account_from_emailed_link(page, live_server, mail_server):
    ada = PersonFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", full_name=""
    )

    link = _invite_and_send(ada, mail_server)

    assert link.startswith(f"{live_server.url}/invitation/")
    _claim_in_browser(page, link)
    _assert_claimed(ada)
    # Signed in: the account page opens again without asking for a password.
    page.goto(f"{live_server.url}/me/")
    assert page.locator("h1").inner_text() == "Your account"


def test_link_opened_by_a_mail_scanner_still_claims(page, live_server, mail_server):
    ada = PersonFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", full_name=""
    )
    link = _invite_and_send(ada, mail_server)

    # A mail scanner follows the link with a plain GET before the person does.
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.status == 200
        assert "Set up my account" in response.read().decode()
    ada.refresh_from_db()
    assert ada.status == Person.Status.INVITED
    assert Invitation.objects.get(person=ada).status == Invitation.Status.SENT

    _claim_in_browser(page, link)
    _assert_claimed(ada)
