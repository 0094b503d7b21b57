"""The Organisation page: who may change it, what it refuses, and that every reader uses it."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.exceptions import InvalidPerson, NotAllowed
from accounts.invitations import invite_person
from accounts.invitations.invites import expiry_days, reminder_days
from accounts.models import Invitation, LifecycleEvent, Organisation
from accounts.organisation import current_organisation
from accounts.phones import normalise_phone
from tests.accounts.invitations.helpers import deliver_queued, tokens
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:accounts_organisation_changelist")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Acme Ltd",
        "time_zone": "Europe/Paris",
        "phone_region": "FR",
        "invite_expiry_days": "10",
        "reminder_days": "2, 6",
    }
    data.update(overrides)
    return data


def test_until_saved_the_page_shows_the_environments_defaults(admin_client, settings):
    settings.ORGANISATION_NAME = "From env"
    settings.ROSTER_INVITE_EXPIRY_DAYS = 7
    settings.ROSTER_REMINDER_DAYS = "3,5"
    response = admin_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="From env"' in html
    assert 'id="defaults-note"' in html
    assert response.context["form"].initial["reminder_days"] == "3,5"


def test_saving_stores_the_settings_and_audits_each_change(admin_client, admin_user, settings):
    settings.ORGANISATION_NAME = "Roster"
    settings.ROSTER_PHONE_REGION = "GB"
    settings.TIME_ZONE = "UTC"
    response = admin_client.post(URL, _form())
    assert response.status_code == 302
    row = Organisation.objects.get()
    assert (row.name, row.time_zone, row.phone_region) == ("Acme Ltd", "Europe/Paris", "FR")
    assert (row.invite_expiry_days, row.reminder_days) == (10, "2,6")
    event = LifecycleEvent.objects.get(subject_kind=LifecycleEvent.SubjectKind.ORGANISATION)
    assert event.actor_id == admin_user.pk
    assert event.changes == {
        "name": ["Roster", "Acme Ltd"],
        "time_zone": ["UTC", "Europe/Paris"],
        "phone_region": ["GB", "FR"],
        "invite_expiry_days": [7, 10],
        "reminder_days": ["3,5", "2,6"],
    }
    # Saving the same values again records nothing more.
    admin_client.post(URL, _form())
    assert LifecycleEvent.objects.filter(subject_kind="organisation").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", " ", "Enter the organisation's name."),
        ("invite_expiry_days", "0", "Ensure this value is greater than or equal to 1."),
        (
            "reminder_days",
            "3, x",
            "List whole days separated by commas (e.g. 3, 5), or leave empty.",
        ),
        (
            "reminder_days",
            "2, 12",
            "Reminders go out between day 1 and day 9, before links expire.",
        ),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
    ],
)
def test_bad_values_are_refused_on_their_field_and_change_nothing(
    admin_client, field, value, message
):
    response = admin_client.post(URL, _form(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert not Organisation.objects.exists()
    assert not LifecycleEvent.objects.filter(subject_kind="organisation").exists()


def test_a_logo_is_stored_and_shown_on_the_claim_pages_and_a_non_image_is_refused(
    admin_client, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = admin_client.post(URL, {**_form(), "logo": bad})
    assert response.context["form"].errors["logo"] == ["Upload a PNG, JPEG, GIF or WebP image."]
    assert not Organisation.objects.exists()

    good = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    assert admin_client.post(URL, {**_form(), "logo": good}).status_code == 302
    assert Organisation.objects.get().logo_type == "image/png"
    html = client.get(reverse("accounts:new-link")).content.decode()
    assert "data:image/png;base64," in html
    assert "Acme Ltd" in html


def test_account_managers_may_not_open_it_and_auditors_read_it_only(
    client, account_manager, auditor
):
    client.force_login(account_manager)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form()).status_code == 403
    client.force_login(auditor)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'id="read-only-note"' in response.content.decode()
    assert client.post(URL, _form()).status_code == 403
    assert not Organisation.objects.exists()
    with pytest.raises(NotAllowed):
        services.update_organisation(by=auditor, **_values())


def _values() -> dict:
    return {
        "name": "Acme Ltd",
        "time_zone": "Europe/Paris",
        "phone_region": "FR",
        "invite_expiry_days": 10,
        "reminder_days": "2,6",
    }


def test_every_reader_uses_the_saved_settings(admin_user, settings, client):
    settings.ORGANISATION_NAME = "From env"
    services.update_organisation(by=admin_user, **_values())

    assert current_organisation().name == "Acme Ltd"
    assert expiry_days() == 10
    assert reminder_days() == [2, 6]
    # A national number is read in the saved region (France), not GB.
    assert normalise_phone("01 23 45 67 89") == "+33123456789"

    person = PersonFactory(email="ann@example.com", first_name="Ann")
    invite_person(person, by=admin_user)
    deliver_queued()
    message = mail.outbox[-1]
    assert "Acme Ltd" in message.subject + message.body
    assert "From env" not in message.subject + message.body
    invitation = Invitation.objects.get(person=person)
    assert (invitation.expires_at - invitation.sent_at).days == 10
    [token] = tokens(message)
    html = client.get(reverse("accounts:claim", args=[token])).content.decode()
    assert "Acme Ltd" in html


def test_the_admin_shows_times_in_the_organisations_time_zone(admin_client, admin_user):
    from datetime import UTC, datetime

    from provisioning.idp.models import IdentitySource, SyncRun

    services.update_organisation(by=admin_user, **{**_values(), "time_zone": "Asia/Tokyo"})
    source = IdentitySource.objects.create(name="Directory", kind=IdentitySource.Kind.ENTRA)
    run = SyncRun.objects.create(source=source, status=SyncRun.Status.DONE)
    SyncRun.objects.filter(pk=run.pk).update(started_at=datetime(2026, 1, 1, tzinfo=UTC))
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "1 Jan 2026 09:00" in html
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_service_refusal_names_the_field(admin_user):
    with pytest.raises(InvalidPerson) as refused:
        services.update_organisation(by=admin_user, **{**_values(), "phone_region": "ZZ"})
    assert refused.value.errors == {"phone_region": "“ZZ” is not a country code (e.g. GB, US, FR)."}
