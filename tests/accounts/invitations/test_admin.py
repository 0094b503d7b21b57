from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.urls import reverse

from accounts.invitations import invite_person, queueing
from accounts.invitations.tasks import send_test_invitation_task
from accounts.models import Invitation, InvitationDelivery, LifecycleEvent, Person
from tests.accounts.invitations.helpers import deliver_queued, enqueued
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE_URL = reverse("admin:accounts_person_changelist")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


ACTIONS = {
    "invite": "invite_detail",
    "remind": "remind_detail",
    "revoke-invitation": "revoke_invitation_detail",
}


def person_url(person: Person, action: str = "") -> str:
    if action:
        return reverse(f"admin:accounts_person_{ACTIONS[action]}", args=[person.pk])
    return reverse("admin:accounts_person_change", args=[person.pk])


def test_invite_from_the_person_page_now_with_a_message(
    admin_client, person, django_capture_on_commit_callbacks
):
    page = admin_client.get(person_url(person, "invite"))
    assert page.status_code == 200
    assert "Send me a test email" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            person_url(person, "invite"), {"when": "now", "message": "Welcome!"}
        )
    assert response.status_code == 302
    assert response["Location"] == person_url(person)
    person.refresh_from_db()
    assert person.status == Person.Status.INVITED
    invitation = Invitation.objects.get(person=person)
    assert invitation.message == "Welcome!"
    assert enqueued(callbacks) == [InvitationDelivery.objects.get().pk]


def test_invite_at_a_time_reads_it_in_the_administrators_time_zone(admin_client, person, settings):
    settings.TIME_ZONE = "Europe/Paris"
    page = admin_client.get(person_url(person, "invite"))
    assert "Time zone: Europe/Paris." in page.content.decode()
    response = admin_client.post(
        person_url(person, "invite"), {"when": "at", "send_at": "2099-01-05T09:30"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(person=person)
    assert invitation.send_at == datetime(2099, 1, 5, 8, 30, tzinfo=UTC)
    assert InvitationDelivery.objects.count() == 0


def test_invite_at_without_a_time_or_in_the_past_is_refused(admin_client, person):
    response = admin_client.post(person_url(person, "invite"), {"when": "at", "send_at": ""})
    assert response.status_code == 200
    assert "Choose the date and time to send at." in response.content.decode()
    response = admin_client.post(
        person_url(person, "invite"), {"when": "at", "send_at": "2001-01-01T09:00"}
    )
    assert "The send time is in the past." in response.content.decode()
    assert Invitation.objects.count() == 0


def test_send_me_a_test_email_invites_nobody(
    admin_client, admin_user, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            person_url(person, "invite"),
            {"when": "now", "message": "Preview", "send_test": "1"},
        )
    assert response.status_code == 200
    assert [(cb.func, cb.args) for cb in callbacks] == [
        (send_test_invitation_task.delay, (admin_user.pk, "Preview"))
    ]
    assert Invitation.objects.count() == 0


def test_bulk_invite_selected_asks_when_then_invites(
    admin_client, django_capture_on_commit_callbacks
):
    people = PersonFactory.create_batch(3)
    active = PersonFactory(claimed=True)
    ids = [str(p.pk) for p in [*people, active]]
    form = admin_client.post(PEOPLE_URL, {"action": "invite_selected", ACTION_CHECKBOX_NAME: ids})
    assert form.status_code == 200
    assert "3 people will get an email" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(
            PEOPLE_URL,
            {"action": "invite_selected", ACTION_CHECKBOX_NAME: ids, "when": "now", "message": ""},
            follow=True,
        )
    text = response.content.decode()
    assert "Invited 3." in text
    assert "has already claimed their account." in text
    assert Person.objects.filter(status="invited").count() == 3


def test_invite_everyone_awaiting_follows_the_lists_filters(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(queueing, "DIRECT_ENQUEUE_LIMIT", 1)
    sales = PersonFactory.create_batch(2, department="Sales")
    PersonFactory(department="Finance")
    PersonFactory(department="Sales", claimed=True)
    url = reverse("admin:accounts_person_invite_awaiting")
    referer = f"http://testserver{PEOPLE_URL}?department=Sales"
    page = admin_client.get(url, HTTP_REFERER=referer)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Invite everyone awaiting invitation (2)" in html
    assert 'name="_changelist_filters" value="department=Sales"' in html
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(
            url, {"when": "now", "message": "", "_changelist_filters": "department=Sales"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"{PEOPLE_URL}?department=Sales"
    assert set(Person.objects.filter(status="invited").values_list("pk", flat=True)) == {
        p.pk for p in sales
    }


def test_remind_and_revoke_from_the_person_page(admin_client, admin_user, person, mailoutbox):
    invite_person(person, by=admin_user)
    deliver_queued()
    assert admin_client.get(person_url(person, "remind")).status_code == 200
    response = admin_client.post(person_url(person, "remind"), {"confirm": "yes"})
    assert response.status_code == 302
    assert deliver_queued() == ["sent"]
    assert len(mailoutbox) == 2
    assert admin_client.get(person_url(person, "revoke-invitation")).status_code == 200
    admin_client.post(person_url(person, "revoke-invitation"), {"confirm": "yes"})
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert list(
        LifecycleEvent.objects.filter(person=person).order_by("id").values_list("action", flat=True)
    ) == ["invited", "reminded", "invitation_revoked"]


def test_remind_all_reminds_the_filtered_invited_people(admin_client, admin_user, mailoutbox):
    sales = PersonFactory(department="Sales")
    finance = PersonFactory(department="Finance")
    for p in (sales, finance):
        invite_person(p, by=admin_user)
    deliver_queued()
    url = reverse("admin:accounts_person_remind_all")
    page = admin_client.get(url, HTTP_REFERER=f"http://testserver{PEOPLE_URL}?department=Sales")
    assert "Remind all (1)" in page.content.decode()
    admin_client.post(url, {"confirm": "yes", "_changelist_filters": "department=Sales"})
    assert deliver_queued() == ["sent"]
    assert mailoutbox[-1].to == [sales.email]


def test_people_list_and_person_page_show_the_invitation(admin_client, admin_user):
    waiting, failed = PersonFactory(), PersonFactory()
    with time_machine.travel(START, tick=False):
        invite_person(waiting, by=admin_user)
        invite_person(failed, by=admin_user)
        deliver_queued()
        Invitation.objects.filter(person=failed).update(delivery_status="failed")
    with time_machine.travel(START + timedelta(days=4), tick=False):
        html = admin_client.get(PEOPLE_URL).content.decode()
        assert "Sent 2 Mar · expires 9 Mar" in html
        assert "Email failed" in html
        listed = admin_client.get(PEOPLE_URL, {"invitation_email": "failed"})
        assert [p.pk for p in listed.context["cl"].result_list] == [failed.pk]
        listed = admin_client.get(PEOPLE_URL, {"invited_for": "3"})
        assert {p.pk for p in listed.context["cl"].result_list} == {waiting.pk, failed.pk}
        listed = admin_client.get(PEOPLE_URL, {"invited_for": "7"})
        assert list(listed.context["cl"].result_list) == []
        page = admin_client.get(person_url(waiting)).content.decode()
    assert 'id="invitation"' in page
    assert "Reminders sent" in page


def test_auditor_cannot_open_or_post_invitation_pages_and_nothing_changes(
    client, auditor, person, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for path in ("invite", "remind", "revoke-invitation"):
            assert client.get(person_url(person, path)).status_code == 403
            assert (
                client.post(person_url(person, path), {"when": "now", "confirm": "yes"}).status_code
                == 403
            )
        for name in ("invite_awaiting", "remind_all"):
            url = reverse(f"admin:accounts_person_{name}")
            assert client.post(url, {"when": "now", "confirm": "yes"}).status_code == 403
        client.post(
            PEOPLE_URL,
            {"action": "invite_selected", ACTION_CHECKBOX_NAME: [person.pk], "when": "now"},
        )
    person.refresh_from_db()
    assert person.status == Person.Status.STAGED
    assert Invitation.objects.count() == 0
    assert callbacks == []
    html = client.get(person_url(person)).content.decode()
    assert person_url(person, "invite") not in html


def test_account_manager_can_invite_from_the_person_page(client, account_manager, person):
    client.force_login(account_manager)
    response = client.post(person_url(person, "invite"), {"when": "now", "message": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == Person.Status.INVITED
