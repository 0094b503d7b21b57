"""Saved column choices: remembered from a preview, applied to the next file
with the same headers, listed and deleted by administrators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.exceptions import NotAllowed
from accounts.models import LifecycleEvent
from provisioning.exceptions import NothingToRemember
from provisioning.imports import services
from provisioning.imports.models import ImportJob, SavedColumnMapping
from tests.provisioning.conftest import csv_bytes, preview
from tests.provisioning.imports.admin_pages import post_and_plan, upload, url

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADERS = ["Work Email", "Given", "Nachname", "Cost Center", "Badge colour"]
ROWS = [["ada@example.com", "Ada", "Lovelace", "CC-1", "red"]]
LIST_URL = reverse("admin:provisioning_savedcolumnmapping_changelist")


def _file(headers=HEADERS, rows=ROWS) -> bytes:
    return csv_bytes([headers, *rows])


def _delete_url(saved: SavedColumnMapping) -> str:
    return reverse("admin:provisioning_savedcolumnmapping_delete", args=[saved.pk])


def test_choices_remembered_on_the_preview_are_applied_to_the_next_file(admin_client, admin_user):
    upload(admin_client, _file())
    job = ImportJob.objects.get()
    assert job.unresolved_columns == ["Given", "Nachname", "Cost Center", "Badge colour"]
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert "Remember for files with these headers" in page

    response = post_and_plan(
        admin_client,
        url("columns", job.pk),
        {
            "column_1": "first_name",
            "column_2": "last_name",
            "column_4": "__ignore__",
            "remember": "on",
        },
    )
    assert response.status_code == 302
    saved = SavedColumnMapping.objects.get()
    assert saved.mapping == {"given": "first_name", "nachname": "last_name", "badgecolour": None}
    assert saved.saved_by == admin_user
    event = LifecycleEvent.objects.get(subject__contains="saved column choices")
    assert event.action == LifecycleEvent.Action.CREATED
    assert event.actor == admin_user

    # The next export: other spelling, other order, another person.
    upload(
        admin_client,
        _file(
            ["badge colour", "COST-CENTER", "nachname", "given", "work email"],
            [["blue", "CC-2", "Hopper", "Grace", "grace@example.com"]],
        ),
    )
    second = ImportJob.objects.latest("pk")
    assert second.column_mapping == {
        "given": "first_name",
        "nachname": "last_name",
        "badge colour": None,
    }
    assert second.unresolved_columns == ["COST-CENTER"]
    assert second.count_new == 1 and second.count_errors == 0
    page = admin_client.get(url("change", second.pk)).content.decode()
    when = saved.saved_at.strftime("%-d %B %Y")
    note = f"Column choices saved on {when} by {admin_user.display_name} were applied."
    assert note in page
    saved.refresh_from_db()
    assert saved.times_applied == 1


def test_saved_choices_are_not_applied_to_files_with_other_headers(admin_user):
    services.save_column_mapping(HEADERS, mapping={"Given": "first_name"}, by=admin_user)
    job, _ = preview(_file([*HEADERS, "Division"], [[*ROWS[0], "North"]]), admin_user)
    assert job.column_mapping == {}
    assert "Given" in job.unresolved_columns
    assert not any("were applied" in note for note in job.file_notes)


def test_choices_made_on_the_job_win_over_saved_ones(admin_user):
    services.save_column_mapping(HEADERS, mapping={"Given": "first_name"}, by=admin_user)
    job = services.start_import(_file(), by=admin_user, filename="people.csv")
    services.plan_import(job, by=admin_user, mapping={"Given": None})
    job.refresh_from_db()
    assert job.column_mapping == {"Given": None}
    assert not any("were applied" in note for note in job.file_notes)


def test_saving_again_for_the_same_headers_replaces_the_choices(admin_user, account_manager):
    services.save_column_mapping(HEADERS, mapping={"Given": "first_name"}, by=admin_user)
    services.save_column_mapping(
        list(reversed(HEADERS)), mapping={"Given": None}, by=account_manager
    )
    saved = SavedColumnMapping.objects.get()
    assert saved.mapping == {"given": None}
    assert saved.saved_by == account_manager
    assert (
        LifecycleEvent.objects.filter(
            subject__contains="saved column choices", action=LifecycleEvent.Action.UPDATED
        ).count()
        == 1
    )


def test_nothing_to_remember_or_a_column_the_file_lacks_is_refused(admin_user):
    with pytest.raises(NothingToRemember):
        services.save_column_mapping(HEADERS, mapping={}, by=admin_user)
    with pytest.raises(NothingToRemember, match="Shoe size"):
        services.save_column_mapping(HEADERS, mapping={"Shoe size": None}, by=admin_user)
    with pytest.raises(NothingToRemember):
        services.save_column_mapping(HEADERS, mapping={"Given": "shoe_size"}, by=admin_user)
    assert not SavedColumnMapping.objects.exists()
    assert not LifecycleEvent.objects.filter(subject__contains="saved column").exists()


def test_remember_without_any_choice_is_a_form_error(admin_client):
    upload(admin_client, _file())
    job = ImportJob.objects.get()
    response = admin_client.post(url("columns", job.pk), {"remember": "on"})
    assert response.status_code == 400
    assert "Choose what at least one column holds" in response.content.decode()
    assert not SavedColumnMapping.objects.exists()


def test_auditor_may_not_save_choices(auditor):
    with pytest.raises(NotAllowed):
        services.save_column_mapping(HEADERS, mapping={"Given": "first_name"}, by=auditor)
    assert not SavedColumnMapping.objects.exists()


# --- the admin list ---------------------------------------------------------------


@pytest.fixture
def saved(admin_user) -> SavedColumnMapping:
    return services.save_column_mapping(
        HEADERS, mapping={"Given": "first_name", "Badge colour": None}, by=admin_user
    )


@pytest.mark.parametrize("who", ["admin_client", "manager_client"])
def test_administrators_list_and_delete_saved_choices_after_confirming(who, request, saved):
    client = request.getfixturevalue(who)
    page = client.get(LIST_URL).content.decode()
    assert "Work Email, Given, Nachname, Cost Center, Badge colour" in page
    assert "Given → First name; Badge colour: not imported" in page

    confirm = client.get(_delete_url(saved))
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    assert SavedColumnMapping.objects.exists()

    response = client.post(_delete_url(saved), {"post": "yes"})
    assert response.status_code == 302
    assert not SavedColumnMapping.objects.exists()
    assert LifecycleEvent.objects.filter(
        subject__contains="saved column choices", action=LifecycleEvent.Action.DELETED
    ).exists()

    job = services.start_import(_file(), by=saved.saved_by, filename="people.csv")
    services.plan_import(job, by=saved.saved_by)
    job.refresh_from_db()
    assert job.column_mapping == {}


def test_auditor_reads_saved_choices_but_cannot_delete_them(auditor_client, auditor, saved):
    assert auditor_client.get(LIST_URL).status_code == 200
    detail = reverse("admin:provisioning_savedcolumnmapping_change", args=[saved.pk])
    assert auditor_client.get(detail).status_code == 200
    assert auditor_client.get(_delete_url(saved)).status_code == 403
    assert auditor_client.post(_delete_url(saved), {"post": "yes"}).status_code == 403
    assert SavedColumnMapping.objects.filter(pk=saved.pk).exists()
    with pytest.raises(NotAllowed):
        services.delete_saved_column_mapping(saved, by=auditor)
    assert SavedColumnMapping.objects.filter(pk=saved.pk).exists()


def test_people_without_an_admin_role_cannot_see_saved_choices(client, person, saved):
    client.force_login(person)
    response = client.get(LIST_URL)
    assert response.status_code in (302, 403)
