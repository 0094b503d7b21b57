"""A SCIM target's scheduled full sync: kept in django-celery-beat, shown on its page, run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import time_machine
from celery import current_app
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts import services as people
from accounts.exceptions import NotAllowed
from accounts.models import LifecycleEvent
from provisioning.scim import services
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.models import ScimRun, ScimTarget
from provisioning.scim.push.record import record_failure
from provisioning.scim.tasks import sync_target_task
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import remote_users
from tests.provisioning.scim.test_secret_hosts import form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def beat_entry(target: ScimTarget) -> PeriodicTask:
    return PeriodicTask.objects.get(
        args=json.dumps([target.pk]), task="provisioning.scim.full_sync"
    )


def cron(task: PeriodicTask) -> tuple[str, str, str, str]:
    c = task.crontab
    return (c.minute, c.hour, c.day_of_week, str(c.timezone))


def change_url(target: ScimTarget) -> str:
    return reverse("admin:provisioning_scimtarget_change", args=[target.pk])


def test_the_beat_entry_follows_the_setting_and_the_target_state(admin_user):
    target = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily",
        full_sync_hour=4,
    )  # fmt: skip
    task = beat_entry(target)
    assert cron(task) == ("0", "4", "*", "Europe/Paris")
    assert task.enabled is False  # the target is not enabled yet
    target.refresh_from_db()
    assert target.full_sync_task_id == task.pk

    services.enable_target(target, by=admin_user)
    assert beat_entry(target).enabled is True

    services.update_target(
        target, by=admin_user, full_sync="weekly", full_sync_weekday=0, full_sync_hour=5
    )
    task = beat_entry(target)
    assert cron(task) == ("0", "5", "1", "Europe/Paris")  # cron's Monday is 1
    assert task.enabled is True

    services.pause_target(target, by=admin_user)
    assert beat_entry(target).enabled is False
    services.resume_target(target, by=admin_user)
    assert beat_entry(target).enabled is True
    services.disable_target(target, by=admin_user)
    assert beat_entry(target).enabled is False

    services.update_target(target, by=admin_user, full_sync="never")
    assert not PeriodicTask.objects.filter(task="provisioning.scim.full_sync").exists()
    target.refresh_from_db()
    assert target.full_sync_task_id is None

    services.update_target(target, by=admin_user, full_sync="daily")
    assert PeriodicTask.objects.filter(task="provisioning.scim.full_sync").count() == 1
    services.delete_target(target, by=admin_user)
    assert not PeriodicTask.objects.filter(task="provisioning.scim.full_sync").exists()


def test_a_target_paused_after_failures_stops_its_full_sync(admin_user):
    target = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily",
        pause_after_failures=2,
    )  # fmt: skip
    services.enable_target(target, by=admin_user)
    record_failure(target, "503", wait=0)
    assert beat_entry(target).enabled is True
    record_failure(target, "503", wait=0)
    target.refresh_from_db()
    assert target.is_paused
    assert beat_entry(target).enabled is False


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_sync": "hourly"}, "full_sync", "A full sync runs never, every day or every week."),
        ({"full_sync_hour": 24}, "full_sync_hour", "The hour of the full sync is from 0 to 23."),
        (
            {"full_sync_weekday": 7},
            "full_sync_weekday",
            "Choose the day of the week of the full sync.",
        ),
    ],
)
def test_a_bad_schedule_is_refused_and_changes_nothing(admin_user, changes, field, message):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    events = LifecycleEvent.objects.count()
    with pytest.raises(InvalidTarget) as refused:
        services.update_target(target, by=admin_user, **{"full_sync": "daily", **changes})
    assert refused.value.errors == {field: message}
    target.refresh_from_db()
    assert (target.full_sync, target.full_sync_hour) == ("never", 3)
    assert not PeriodicTask.objects.exists()
    assert LifecycleEvent.objects.count() == events


def test_the_page_sets_the_schedule_audits_it_and_shows_next_and_last(client, admin_user):
    with time_machine.travel(datetime(2030, 1, 2, 12, tzinfo=UTC), tick=False):
        target = services.create_target(
            name="Zoom", base_url="https://zoom.example/v2", by=admin_user
        )
        services.enable_target(target, by=admin_user)
        client.force_login(admin_user)
        response = client.post(
            change_url(target),
            form(target, full_sync="weekly", full_sync_hour="2", full_sync_weekday="6"),
        )
        assert response.status_code == 302
        page = client.get(change_url(target)).content.decode()
    # 2 January 2030 is a Wednesday; the next Sunday 02:00 in Paris is 01:00 UTC.
    assert "Every Sunday at 02:00 (Europe/Paris)" in page
    assert "Next full sync: 2030-01-06 02:00 CET" in page
    # The sync that Enable started, waiting for a worker.
    assert "Last full sync: 2030-01-02 13:00 CET: Running, 0/0 people" in page
    event = LifecycleEvent.objects.filter(subject_kind="scim_target").latest("id")
    assert event.action == "updated"
    assert event.changes == {"full_sync": ["never", "weekly"], "full_sync_hour": [3, 2]}
    assert beat_entry(target).enabled is True


def test_a_paused_target_page_says_the_full_sync_waits(admin_client, admin_user):
    target = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily"
    )
    services.enable_target(target, by=admin_user)
    services.pause_target(target, by=admin_user)
    page = admin_client.get(change_url(target)).content.decode()
    assert "Next full sync: Not scheduled while the target is paused." in page


def test_an_invalid_hour_on_the_page_is_an_error_and_changes_nothing(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    response = admin_client.post(
        change_url(target), form(target, full_sync="daily", full_sync_hour="25")
    )
    assert response.status_code == 200
    assert "Select a valid choice. 25 is not one of the available choices." in (
        response.content.decode()
    )
    target.refresh_from_db()
    assert target.full_sync == "never"
    assert not PeriodicTask.objects.exists()


def test_an_auditor_sees_the_schedule_but_cannot_change_it(client, auditor, admin_user):
    target = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily"
    )
    client.force_login(auditor)
    page = client.get(change_url(target))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Every day at 03:00 (Europe/Paris)" in html
    assert 'name="full_sync"' not in html
    response = client.post(change_url(target), form(target, full_sync="never"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.full_sync == "daily"
    assert beat_entry(target).crontab.hour == "3"
    with pytest.raises(NotAllowed):
        services.update_target(target, by=auditor, full_sync="never")


def test_an_account_manager_cannot_open_the_schedule(client, account_manager, admin_user):
    target = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily"
    )
    client.force_login(account_manager)
    assert client.get(change_url(target)).status_code == 403
    assert client.post(change_url(target), form(target, full_sync="never")).status_code == 403
    target.refresh_from_db()
    assert target.full_sync == "daily"


def test_the_task_the_beat_entry_names_repairs_drift_on_the_target(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", first_name="Ada")
    target = make_target(tenant, full_sync="daily")
    run = services.enable_target(target, by=actor)
    sync_target_task(target.pk, run.pk)
    [user] = remote_users(tenant)
    # Someone edits and then removes the user on the target itself: the
    # outbox sees no change in Roster, only a full sync finds it.
    httpx.delete(f"{tenant}/Users/{user['id']}", timeout=10).raise_for_status()
    assert remote_users(tenant) == []

    entry = beat_entry(target)
    current_app.tasks[entry.task](*json.loads(entry.args))

    assert [u["userName"] for u in remote_users(tenant)] == [ada.email]
    last = ScimRun.objects.filter(target=target, kind="sync").first()
    assert (last.status, last.message, last.created) == ("finished", "Started by the schedule.", 1)


def test_the_scheduled_task_does_nothing_for_a_paused_or_unscheduled_target(
    make_target, tenant, actor
):
    PersonFactory(email="ada@example.com")
    target = make_target(tenant, full_sync="daily")
    services.enable_target(target, by=actor)
    ScimRun.objects.all().delete()
    entry = beat_entry(target)
    services.pause_target(target, by=actor)
    current_app.tasks[entry.task](target.pk)
    services.resume_target(target, by=actor)
    services.update_target(target, by=actor, full_sync="never")
    current_app.tasks[entry.task](target.pk)
    assert not ScimRun.objects.filter(kind="sync").exists()
    assert remote_users(tenant) == []


def test_a_new_organisation_time_zone_moves_the_schedules(
    admin_user, django_capture_on_commit_callbacks
):
    daily = services.create_target(
        name="Zoom", base_url="https://zoom.example/v2", by=admin_user, full_sync="daily"
    )
    never = services.create_target(name="Slack", base_url="https://slack.example/v2", by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        people.update_organisation(
            by=admin_user,
            name="Acme",
            time_zone="America/New_York",
            phone_region="US",
            invite_expiry_days=7,
            reminder_days="3",
        )
    assert cron(beat_entry(daily)) == ("0", "3", "*", "America/New_York")
    assert not PeriodicTask.objects.filter(args=json.dumps([never.pk])).exists()
