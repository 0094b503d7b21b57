from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.invitations import AlreadyClaimed, claim_account, invite_person, resend_invitation
from accounts.models import Invitation, LifecycleEvent, Person
from accounts.signals import person_changed
from tests.accounts.invitations.helpers import deliver_queued, tokens
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "a sturdy passphrase"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def invitee(db):
    return PersonFactory(
        email="ann@example.com", first_name="Ann", last_name="Lee", full_name="Ann Lee"
    )


def invite(person, by) -> str:
    """Invite ``person`` and return the token from the email they receive."""
    from django.core import mail

    before = len(mail.outbox)
    invite_person(person, by=by)
    deliver_queued()
    [token] = tokens(mail.outbox[before])
    return token


def claim_form(**overrides) -> dict[str, str]:
    return {
        "first_name": "Ann",
        "last_name": "Lee-Smith",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def test_opening_the_link_shows_the_organisation_and_name_and_never_consumes_it(
    client, admin_user, invitee, mailoutbox, settings
):
    settings.ORGANISATION_NAME = "Acme Ltd"
    token = invite(invitee, admin_user)
    url = reverse("accounts:claim", args=[token])
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Ltd" in html
    assert "Welcome, Ann" in html
    assert "ann@example.com" in html
    assert '<meta name="referrer" content="same-origin">' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.INVITED
    assert Invitation.objects.get().status == Invitation.Status.SENT
    assert client.post(url, claim_form()).status_code == 302


def test_claiming_activates_verifies_email_signs_in_and_shows_your_account(
    client, admin_user, invitee, mailoutbox, django_capture_on_commit_callbacks
):
    token = invite(invitee, admin_user)
    received = []
    person_changed.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:claim", args=[token]), claim_form())
    finally:
        person_changed.disconnect(dispatch_uid="t")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:your-account")
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.ACTIVE
    assert invitee.is_active is True
    assert invitee.claimed_at is not None
    assert (invitee.first_name, invitee.last_name) == ("Ann", "Lee-Smith")
    assert invitee.full_name == "Ann Lee-Smith"
    assert invitee.check_password(PASSWORD)
    assert invitee.version == 3
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.CLAIMED
    assert invitation.claimed_at == invitee.claimed_at
    address = EmailAddress.objects.get(user=invitee)
    assert (address.email, address.verified, address.primary) == ("ann@example.com", True, True)
    event = LifecycleEvent.objects.get(action="claimed")
    assert event.actor == invitee
    assert event.changes == {
        "last_name": ["Lee", "Lee-Smith"],
        "status": ["invited", "active"],
    }
    assert [kw["person_ids"] for kw in received] == [[invitee.pk]]
    assert [kw["action"] for kw in received] == ["claimed"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["user"] == invitee
    html = page.content.decode()
    assert "Ann Lee-Smith" in html
    assert reverse("account_change_password") in html
    assert reverse("mfa_index") in html


def test_the_link_works_once(client, admin_user, invitee, mailoutbox):
    token = invite(invitee, admin_user)
    url = reverse("accounts:claim", args=[token])
    assert client.post(url, claim_form()).status_code == 302
    other = Client()
    response = other.post(url, claim_form(password1="another passphrase!", password2="x"))
    assert response.status_code == 410
    assert "Your account is already set up" in response.content.decode()
    assert reverse("account_login") in response.content.decode()
    invitee.refresh_from_db()
    assert invitee.check_password(PASSWORD)
    assert other.get(url).status_code == 410


def test_expired_link_explains_and_offers_a_new_link(client, admin_user, invitee, mailoutbox):
    with time_machine.travel(START, tick=False):
        token = invite(invitee, admin_user)
    url = reverse("accounts:claim", args=[token])
    with time_machine.travel(START + timedelta(days=6, hours=23), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(START + timedelta(days=7), tick=False):
        response = client.get(url)
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link has expired" in html
        assert reverse("accounts:new-link") in html
        assert client.post(url, claim_form()).status_code == 410
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.INVITED


def test_expiry_days_are_configurable(client, admin_user, invitee, mailoutbox, settings):
    settings.ROSTER_INVITE_EXPIRY_DAYS = 2
    with time_machine.travel(START, tick=False):
        token = invite(invitee, admin_user)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert client.get(reverse("accounts:claim", args=[token])).status_code == 410


def test_link_replaced_by_a_newer_one_or_revoked_is_no_longer_valid(
    client, admin_user, invitee, mailoutbox
):
    old = invite(invitee, admin_user)
    resend_invitation(invitee, by=admin_user)
    deliver_queued()
    [new] = tokens(mailoutbox[-1])
    response = client.get(reverse("accounts:claim", args=[old]))
    assert response.status_code == 410
    assert "This link is no longer valid" in response.content.decode()
    assert client.get(reverse("accounts:claim", args=[new])).status_code == 200
    services.deactivate_person(invitee, by=admin_user)
    assert client.get(reverse("accounts:claim", args=[new])).status_code == 410
    assert client.post(reverse("accounts:claim", args=[new]), claim_form()).status_code == 410
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.DEACTIVATED


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 200, "bad!chars-" * 5])
def test_tampered_link_is_not_valid(client, admin_user, invitee, mailoutbox, token):
    real = invite(invitee, admin_user)
    assert token != real
    response = client.get(reverse("accounts:claim", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert reverse("accounts:new-link") in response.content.decode()


def test_weak_password_is_refused_with_the_validators_message_and_the_link_stays_valid(
    client, admin_user, invitee, mailoutbox
):
    token = invite(invitee, admin_user)
    url = reverse("accounts:claim", args=[token])
    response = client.post(url, claim_form(password1="password", password2="password"))
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    response = client.post(url, claim_form(password2="something else entirely"))
    assert "The two passwords differ." in response.content.decode()
    response = client.post(url, claim_form(first_name=" ", last_name=""))
    assert "Enter your name." in response.content.decode()
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.INVITED
    assert not invitee.has_usable_password() or not invitee.check_password("password")
    assert client.post(url, claim_form()).status_code == 302


def test_claim_post_without_csrf_token_is_refused(admin_user, invitee, mailoutbox):
    token = invite(invitee, admin_user)
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:claim", args=[token]), claim_form())
    assert response.status_code == 403
    invitee.refresh_from_db()
    assert invitee.status == Person.Status.INVITED


def test_claim_pages_are_rate_limited_per_address(client, admin_user, invitee, settings):
    settings.ROSTER_CLAIM_RATE_LIMIT = "3/m/ip"
    url = reverse("accounts:claim", args=["x" * 43])
    assert [client.get(url).status_code for _ in range(4)] == [404, 404, 404, 429]
    other_ip = client.get(url, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 404


def test_your_account_needs_sign_in(client):
    response = client.get(reverse("accounts:your-account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- send me a new link -------------------------------------------------------------


def test_new_link_goes_to_an_invited_person_and_replaces_the_old_link(
    client, admin_user, invitee, mailoutbox, django_capture_on_commit_callbacks
):
    old = invite(invitee, admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("accounts:new-link"), {"email": "ANN@example.com"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    deliver_queued()
    assert len(mailoutbox) == 2
    [new] = tokens(mailoutbox[1])
    assert mailoutbox[1].subject == f"{admin_user.display_name} invited you to Roster"
    assert client.get(reverse("accounts:claim", args=[old])).status_code == 410
    assert client.get(reverse("accounts:claim", args=[new])).status_code == 200
    event = LifecycleEvent.objects.filter(action="invited").latest("id")
    assert (event.actor_kind, event.actor_label) == ("system", "Self-service new link request")


@pytest.mark.parametrize("status", ["staged", "active", "deactivated", "unknown"])
def test_new_link_answer_is_identical_and_sends_nothing_unless_invited(
    client, admin_user, mailoutbox, status
):
    if status != "unknown":
        PersonFactory(email="zed@example.com", status=status)
    known = PersonFactory(email="yan@example.com")
    invite(known, admin_user)
    sent_before = len(mailoutbox)
    baseline = client.post(reverse("accounts:new-link"), {"email": "yan@example.com"})
    deliver_queued()
    assert len(mailoutbox) == sent_before + 1
    response = client.post(reverse("accounts:new-link"), {"email": "zed@example.com"})
    deliver_queued()
    assert response.status_code == baseline.status_code == 200
    assert response.content == baseline.content
    assert len(mailoutbox) == sent_before + 1


def test_new_link_requests_are_rate_limited_per_email_and_per_address(
    client, admin_user, invitee, mailoutbox, settings
):
    settings.ROSTER_NEW_LINK_RATE_LIMIT = "4/h/ip,2/h/key"
    invite(invitee, admin_user)
    url = reverse("accounts:new-link")
    codes = [client.post(url, {"email": "ann@example.com"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.post(url, {"email": "nobody@example.com"}).status_code == 200
    # The fifth request from this address is refused whatever the email.
    assert client.post(url, {"email": "else@example.com"}).status_code == 429
    assert client.post(url, {"email": "ann@example.com"}, REMOTE_ADDR="10.0.0.7").status_code == 429
    deliver_queued()
    # The second request found a new link already on its way and added none.
    assert len(mailoutbox) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_claims_of_one_link_let_exactly_one_through(admin_user, mailoutbox):
    invitee = PersonFactory(email="ann@example.com")
    token = invite(invitee, admin_user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(password: str) -> None:
        barrier.wait()
        try:
            claim_account(token, password=password, first_name="Ann", last_name="Lee")
            outcomes.append(password)
        except AlreadyClaimed:
            outcomes.append("already claimed")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(p,))
        for p in ("first sturdy passphrase", "second sturdy passphrase")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    assert outcomes.count("already claimed") == 1
    [winner] = [o for o in outcomes if o != "already claimed"]
    invitee.refresh_from_db()
    assert invitee.check_password(winner)
    assert LifecycleEvent.objects.filter(action="claimed").count() == 1


def test_withdrawn_invitation_points_to_the_administrator_not_to_a_new_link(
    client, admin_user, invitee, mailoutbox
):
    token = invite(invitee, admin_user)
    services.deactivate_person(invitee, by=admin_user)
    sent_before = len(mailoutbox)

    response = client.get(reverse("accounts:claim", args=[token]))

    assert response.status_code == 410
    html = response.content.decode()
    assert "This link is no longer valid" in html
    assert "ask your administrator at Roster to invite you again" in html
    assert "Send me a new link" not in html
    assert reverse("accounts:new-link") not in html
    assert len(mailoutbox) == sent_before


def test_replaced_link_also_points_to_the_newest_email_and_the_administrator(
    client, admin_user, invitee, mailoutbox
):
    old = invite(invitee, admin_user)
    resend_invitation(invitee, by=admin_user)
    deliver_queued()

    html = client.get(reverse("accounts:claim", args=[old])).content.decode()

    # Word for word what a withdrawn invitation shows: nothing tells them apart.
    assert "use the link in the most recent email" in html
    assert "ask your administrator at Roster to invite you again" in html
    assert reverse("accounts:new-link") not in html
