"""The import admin: options and confirmation (errors, complete lists, the typed
confirmation, invitations), then applying and its progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import apply_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes
from tests.provisioning.imports.admin_pages import (
    ADD_URL,
    HEADER,
    people,
    upload,
    uploaded,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- options and confirmation ------------------------------------------------------


def test_errors_block_the_import_unless_the_user_skips_the_invalid_rows(
    admin_client, django_capture_on_commit_callbacks
):
    job = uploaded(
        admin_client,
        [["ada@example.com", "Ada", "L", "", ""], ["nope", "Dan", "B", "", ""]],
    )
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Import the valid rows and skip the 1 invalid row" in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 400
    assert "1 row has errors. Correct the file, or choose to import the valid rows" in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert (job.confirmed_at, job.skip_invalid) == (None, False)
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"}
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.skip_invalid is True
    assert job.confirmed_at is not None
    assert len(callbacks) == 1

    assert apply_import_task(job.pk) == "done"
    assert people()[0] == ("ada@example.com", "", "staged")
    assert Person.objects.count() == 2


def test_complete_list_is_offered_to_administrators_only_and_refused_to_others(
    client, admin_user, account_manager
):
    client.force_login(admin_user)
    assert 'name="complete_list"' in client.get(ADD_URL).content.decode()

    client.force_login(account_manager)
    assert 'name="complete_list"' not in client.get(ADD_URL).content.decode()
    assert "complete list" not in client.get(ADD_URL).content.decode()
    response = upload(
        client, csv_bytes([HEADER, ["ada@example.com", "", "", "", ""]]), complete_list="on"
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_account_manager_cannot_apply_an_administrators_complete_list(
    client, admin_user, account_manager, django_capture_on_commit_callbacks
):
    PersonFactory(email="old@example.com", source="spreadsheet")
    client.force_login(admin_user)
    job = uploaded(client, [["ada@example.com", "", "", "", ""]], complete_list="on")
    job.refresh_from_db()
    assert (job.is_complete_list, job.count_deactivated) == (True, 1)

    client.force_login(account_manager)
    page = client.get(url("change", job.pk)).content.decode()
    assert 'id="import-options"' not in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert callbacks == []


def test_deactivating_more_than_the_threshold_needs_the_typed_confirmation(
    admin_client, django_capture_on_commit_callbacks
):
    for name in ("a", "b", "c"):
        PersonFactory(email=f"{name}@example.com", source="spreadsheet")
    job = uploaded(admin_client, [["a@example.com", "", "", "", ""]], complete_list="on")
    job.refresh_from_db()
    assert (job.count_absent, job.deactivation_threshold) == (2, 0)

    response = admin_client.get(url("change", job.pk) + "?action=deactivate")
    page = response.content.decode()
    assert "2 people added from earlier spreadsheets are missing from it" in page
    assert "Type DEACTIVATE 2 to deactivate 2 people who are missing from the file." in page
    assert [(r["email"], r["row"]) for r in response.context["rows"]] == [
        ("b@example.com", None),
        ("c@example.com", None),
    ]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        missing = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
        wrong = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "confirm_text": "DEACTIVATE 3"}
        )
    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert "Type “DEACTIVATE 2” to confirm." in wrong.content.decode()
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert callbacks == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            url("confirm", job.pk), {"invite_mode": "none", "confirm_text": "deactivate 2"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert apply_import_task(job.pk) == "done"
    assert [s for e, _, s in people() if e in ("b@example.com", "c@example.com")] == [
        "deactivated",
        "deactivated",
    ]


@pytest.mark.parametrize("view", ["columns", "sheet", "replan", "confirm"])
def test_preview_choices_and_confirmation_refuse_a_plain_get(admin_client, view):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "", "", ""]])

    response = admin_client.get(url(view, job.pk))

    assert response.status_code == 405
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert not Person.objects.filter(email="ada@example.com").exists()


def test_deactivations_within_the_threshold_need_no_typed_confirmation(admin_client, settings):
    settings.ROSTER_IMPORT_DEACTIVATION_PERCENT = 100
    for name in ("a", "b", "c"):
        PersonFactory(email=f"{name}@example.com", source="spreadsheet")
    job = uploaded(admin_client, [["a@example.com", "", "", "", ""]], complete_list="on")
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="typed-confirmation"' not in page
    response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 302


def test_confirm_enqueues_the_apply_and_progress_reports_done_after_the_task(
    admin_client, django_capture_on_commit_callbacks
):
    job = uploaded(
        admin_client,
        [["ada@example.com", "Ada", "L", "", ""], ["bob@example.com", "Bob", "S", "", ""]],
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    assert response.status_code == 302
    assert response["Location"] == url("change", job.pk)
    assert len(callbacks) == 1
    assert callbacks[0].func.__self__.name == apply_import_task.name
    assert callbacks[0].args == (job.pk,)
    assert Person.objects.count() == 1

    page = admin_client.get(url("change", job.pk)).content.decode()
    assert f'data-progress-url="{url("progress", job.pk)}"' in page
    assert "js/import_progress.js" in page
    progress = admin_client.get(url("progress", job.pk)).json()
    assert (progress["phase"], progress["status_label"], progress["finished"]) == (
        "applying",
        "Waiting for a worker",
        False,
    )

    assert apply_import_task(job.pk) == "done"

    progress = admin_client.get(url("progress", job.pk)).json()
    assert progress["status"] == "done"
    assert progress["finished"] is True
    assert progress["percent"] == 100
    assert progress["counts"]["new"] == 2
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="import-done"' in page
    assert "js/import_progress.js" not in page
    assert [p for p in people() if p[0] != "admin@example.com"] == [
        ("ada@example.com", "", "staged"),
        ("bob@example.com", "", "staged"),
    ]


def test_new_people_can_be_invited_now_or_at_a_set_time(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'value="now"' in page and 'value="at"' in page and 'value="none"' in page

    past = admin_client.post(
        url("confirm", job.pk), {"invite_mode": "at", "invite_at": "2001-01-01T09:00"}
    )
    assert past.status_code == 400
    assert "Choose a time in the future." in past.content.decode()

    when = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = admin_client.post(
        url("confirm", job.pk),
        {"invite_mode": "at", "invite_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    assert apply_import_task(job.pk) == "done"
    ada = Person.objects.get(email="ada@example.com")
    invitation = Invitation.objects.get(person=ada)
    assert invitation.send_at == when
    assert ada.status == Person.Status.INVITED
    job.refresh_from_db()
    assert job.invite_note.startswith("Invited 1 person; the emails go out at ")


def test_without_choosing_invitations_nobody_is_invited(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    apply_import_task(job.pk)
    assert Invitation.objects.count() == 0
    assert Person.objects.get(email="ada@example.com").status == Person.Status.STAGED
