"""The dashboard: its counts, the invitation funnel, integration health and attention items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, InvitationDelivery, Person
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.imports.models import ImportJob
from provisioning.scim.models import ScimRun, ScimTarget
from tests.factories import AllowedDomainFactory, PersonFactory

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("admin:index")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _invite(person: Person, *, sent_days_ago: float, **fields) -> Invitation:
    sent = timezone.now() - timedelta(days=sent_days_ago)
    return Invitation.objects.create(
        person=person,
        invited_by_label="test",
        send_at=sent,
        sent_at=sent,
        status=fields.pop("status", Invitation.Status.SENT),
        expires_at=fields.pop("expires_at", sent + timedelta(days=7)),
        **fields,
    )


def _source(name: str = "Directory") -> IdentitySource:
    return IdentitySource.objects.create(
        name=name,
        kind=IdentitySource.Kind.ENTRA,
        connection={"tenant_id": "t", "client_id": "c"},
    )


def _items(response) -> dict[str, str]:
    return {item.key: item.title for item in response.context["attention"]}


def test_attention_lists_each_waiting_item_with_the_page_that_resolves_it(admin_client):
    source = _source()
    run = SyncRun.objects.create(
        source=source, status=SyncRun.Status.AWAITING_APPROVAL, count_deactivated=12
    )
    target = ScimTarget.objects.create(name="Slack", base_url="https://slack.example/scim/v2")
    ScimTarget.objects.filter(pk=target.pk).update(
        state=ScimTarget.State.PAUSED, state_reason="401 from the target"
    )
    failed = PersonFactory(status=Person.Status.INVITED)
    _invite(failed, sent_days_ago=1, delivery_status=InvitationDelivery.Status.FAILED)
    expiring = PersonFactory(status=Person.Status.INVITED)
    _invite(expiring, sent_days_ago=6)  # expires in one day
    later = PersonFactory(status=Person.Status.INVITED)
    _invite(later, sent_days_ago=1)  # six days left: not listed
    ImportJob.objects.create(status=ImportJob.Status.READY, original_filename="a.csv")
    ImportJob.objects.create(status=ImportJob.Status.DONE, original_filename="b.csv")

    response = admin_client.get(DASHBOARD)
    html = response.content.decode()

    assert _items(response) == {
        "guard": "A sync of Directory would deactivate 12 people and waits for approval",
        "paused_targets": "1 SCIM target is paused",
        "failed_deliveries": "1 invitation email failed",
        "imports_ready": "1 import waits for confirmation",
        "expiring_invitations": "1 invitation expires within 2 days, unclaimed",
    }
    assert reverse("admin:provisioning_syncrun_change", args=[run.pk]) in html
    assert "?invitation_email=failed" in html
    assert "?invitation_email=expiring" in html
    assert "?status__exact=ready" in html
    # Each link opens a list holding exactly what the item counted.
    people = reverse("admin:accounts_person_changelist")
    listed = admin_client.get(f"{people}?invitation_email=expiring").context["cl"].result_list
    assert [p.pk for p in listed] == [expiring.pk]
    listed = admin_client.get(f"{people}?invitation_email=failed").context["cl"].result_list
    assert [p.pk for p in listed] == [failed.pk]


def test_nothing_waiting_says_so(admin_client):
    response = admin_client.get(DASHBOARD)
    assert response.context["attention"] == []
    assert "Nothing needs your attention." in response.content.decode()


def test_funnel_counts_invited_opened_claimed_rate_and_median_over_30_and_90_days(admin_client):
    now = timezone.now()
    for days_to_claim in (1, 3):
        person = PersonFactory(status=Person.Status.INVITED)
        invitation = _invite(person, sent_days_ago=10, opened_at=now - timedelta(days=9))
        Invitation.objects.filter(pk=invitation.pk).update(
            status=Invitation.Status.CLAIMED,
            claimed_at=invitation.sent_at + timedelta(days=days_to_claim),
        )
    opened = PersonFactory(status=Person.Status.INVITED)
    _invite(opened, sent_days_ago=5, opened_at=now - timedelta(days=4))
    _invite(PersonFactory(status=Person.Status.INVITED), sent_days_ago=2)
    old = PersonFactory(status=Person.Status.INVITED)
    old_invitation = _invite(old, sent_days_ago=60)
    Invitation.objects.filter(pk=old_invitation.pk).update(
        status=Invitation.Status.CLAIMED, claimed_at=old_invitation.sent_at + timedelta(days=8)
    )

    funnels = {f.days: f for f in admin_client.get(DASHBOARD).context["funnels"]}

    last30, last90 = funnels[30], funnels[90]
    assert (last30.invited, last30.opened, last30.claimed) == (4, 3, 2)
    assert last30.claim_rate == 50
    assert last30.median_days_to_claim == 2.0
    assert (last90.invited, last90.opened, last90.claimed) == (5, 4, 3)
    assert last90.claim_rate == 60
    assert last90.median_days_to_claim == 3.0


def test_opening_the_claim_page_marks_the_invitation_opened_once(client):
    from accounts.tokens import hash_token, new_token

    person = PersonFactory(status=Person.Status.INVITED)
    invitation = _invite(person, sent_days_ago=1)
    token = new_token()
    InvitationDelivery.objects.create(
        invitation=invitation,
        kind=InvitationDelivery.Kind.INVITATION,
        number=1,
        status=InvitationDelivery.Status.SENT,
        token_hash=hash_token(token),
    )
    assert client.get(reverse("accounts:claim", args=[token])).status_code == 200
    invitation.refresh_from_db()
    first = invitation.opened_at
    assert first is not None
    client.get(reverse("accounts:claim", args=[token]))
    invitation.refresh_from_db()
    assert invitation.opened_at == first


def test_health_shows_every_provider_and_target_with_last_run_pending_and_failed(admin_client):
    source = _source("Entra")
    IdentitySource.objects.filter(pk=source.pk).update(status=IdentitySource.Status.CONNECTED)
    SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED, count_errors=1)
    SyncRun.objects.create(source=source, status=SyncRun.Status.DONE, count_errors=3)
    target = ScimTarget.objects.create(name="Zoom", base_url="https://zoom.example/scim/v2")
    ScimTarget.objects.filter(pk=target.pk).update(
        is_enabled=True, state=ScimTarget.State.PAUSED, state_reason="Token refused (401)"
    )
    ScimRun.objects.create(target=target, kind=ScimRun.Kind.SYNC, status=ScimRun.Status.FAILED)

    response = admin_client.get(DASHBOARD)
    rows = {item["row"].name: item["row"] for item in response.context["integrations"]}
    html = response.content.decode()

    assert rows["Entra"].state_label == "Connected"
    assert rows["Entra"].last_result == "Done"
    assert rows["Entra"].failed == 3
    assert rows["Zoom"].state_label == "Paused"
    assert rows["Zoom"].reason == "Token refused (401)"
    assert rows["Zoom"].last_result == "Full sync: Failed"
    assert "Token refused (401)" in html
    assert reverse("admin:provisioning_scimtarget_change", args=[target.pk]) in html


def test_first_steps_show_for_a_new_organisation_and_go_once_done(admin_client):
    steps = {s.key: s.done for s in admin_client.get(DASHBOARD).context["first_steps"]}
    assert steps == {"domain": False, "people": False, "idp": False, "scim": False}

    AllowedDomainFactory(domain="example.com")
    PersonFactory()
    steps = {s.key: s.done for s in admin_client.get(DASHBOARD).context["first_steps"]}
    assert steps == {"domain": True, "people": True, "idp": False, "scim": False}

    _source()
    ScimTarget.objects.create(name="Apps", base_url="https://apps.example/scim/v2")
    response = admin_client.get(DASHBOARD)
    assert response.context["first_steps"] == []
    assert 'id="first-steps"' not in response.content.decode()


def test_account_managers_see_only_the_items_their_role_opens(client, account_manager):
    ScimTarget.objects.filter(
        pk=ScimTarget.objects.create(name="T", base_url="https://t.example/scim/v2").pk
    ).update(state=ScimTarget.State.PAUSED)
    failed = PersonFactory(status=Person.Status.INVITED)
    _invite(failed, sent_days_ago=1, delivery_status=InvitationDelivery.Status.FAILED)
    client.force_login(account_manager)

    response = client.get(DASHBOARD)

    assert set(_items(response)) == {"failed_deliveries"}
    assert response.context["integrations"] == []
    assert response.context["first_steps"] == []


def test_auditor_sees_the_dashboard_read_only(client, auditor):
    _source()
    client.force_login(auditor)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert [i["row"].name for i in response.context["integrations"]] == ["Directory"]
    assert response.context["first_steps"] == []
