"""Syncing Google Workspace and Entra ID sources into Roster, end to end, on PostgreSQL,
against the local wire-compatible servers with 3,000 people."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from accounts import services
from accounts.exceptions import NotAllowed
from accounts.models import LifecycleEvent, Person
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SourceLink, SyncRun
from provisioning.idp.tasks import sync_source_task
from provisioning.secrets import decrypt_json
from tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EVERYONE = 3000


def connect_google(fake_google, by, **options):
    return idp_services.connect_source(
        by=by,
        name="Workspace",
        kind="google",
        connection={"admin_email": "admin@example.com", "api_endpoint": fake_google.api_endpoint},
        credentials={"service_account_info": json.dumps(fake_google.service_account_info())},
        **options,
    )


def connect_entra(fake_graph, by, **options):
    return idp_services.connect_source(
        by=by,
        name="Entra",
        kind="entra",
        connection={
            "tenant_id": fake_graph.tenant_id,
            "client_id": fake_graph.client_id,
            "authority_host": fake_graph.base_url,
            "graph_url": fake_graph.base_url,
            "ca_bundle": str(fake_graph.cert_path),
        },
        credentials={"client_secret": fake_graph.client_secret},
        **options,
    )


def imported(source, by, **confirm):
    run = idp_services.run_sync(source, by=by)
    assert run.status == SyncRun.Status.PREVIEW
    run = idp_services.confirm_first_run(run, by=by, **confirm)
    assert run.status == SyncRun.Status.DONE, run.error_message
    source.refresh_from_db()
    return run


def people_of(source):
    return Person.objects.filter(source_link__source=source)


def test_first_run_is_a_preview_and_confirming_imports_everyone(fake_google, admin_user):
    source = connect_google(fake_google, admin_user)

    preview = idp_services.run_sync(source, by=admin_user)

    assert preview.status == SyncRun.Status.PREVIEW
    assert preview.counts["new"] == EVERYONE
    assert Person.objects.count() == 1
    run = idp_services.confirm_first_run(preview, by=admin_user)
    assert run.status == SyncRun.Status.DONE
    assert people_of(source).count() == EVERYONE
    person = Person.objects.select_related("manager").get(email="person000007@example.com")
    assert (person.source, person.external_id, person.manager.email, person.location) == (
        "google",
        "E000007",
        "person000001@example.com",
        "B0",
    )
    deep = Person.objects.get(email="person002999@example.com")
    chain = []
    while deep.manager_id:
        deep = deep.manager
        chain.append(deep.email)
    assert chain[-1] == "person000000@example.com" and len(chain) == 5
    event = LifecycleEvent.objects.filter(person=person).get()
    assert event.actor_kind == "integration"
    assert event.actor_label.startswith("Google Workspace “Workspace”")
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)
    assert (task.task, task.enabled, task.interval.every, json.loads(task.args)) == (
        "provisioning.sync_source",
        True,
        60,
        [source.pk],
    )


def test_resync_without_changes_changes_nothing(fake_google, admin_user):
    source = connect_google(fake_google, admin_user)
    imported(source, admin_user)
    events = LifecycleEvent.objects.count()

    run = idp_services.run_sync(source, by=admin_user)

    assert run.status == SyncRun.Status.DONE
    assert run.counts["unchanged"] == EVERYONE
    assert run.counts["new"] + run.counts["updated"] + run.counts["deactivated"] == 0
    assert LifecycleEvent.objects.count() == events
    assert run.duration is not None


def test_department_scope_imports_only_that_department(fake_google, admin_user, directory):
    source = connect_google(
        fake_google, admin_user, scope_kind="departments", scope_values=["Sales"]
    )
    imported(source, admin_user)

    expected = {p.email for p in directory.people if p.department == "Sales"}
    assert set(people_of(source).values_list("email", flat=True)) == expected


def test_manager_scope_is_transitive(fake_graph, admin_user, directory):
    source = connect_entra(
        fake_graph, admin_user, scope_kind="managers", scope_values=["person000003@example.com"]
    )
    imported(source, admin_user)

    expected = {p.email for p in directory.reports_under(3)} | {"person000003@example.com"}
    assert set(people_of(source).values_list("email", flat=True)) == expected
    # The manager's own manager is outside Roster: the line stays empty.
    assert Person.objects.get(email="person000003@example.com").manager_id is None


def test_mapping_override_feeds_another_field(fake_google, admin_user):
    source = connect_google(
        fake_google,
        admin_user,
        scope_kind="departments",
        scope_values=["Legal"],
        mapping_overrides={"location": "orgUnitPath"},
    )
    imported(source, admin_user)

    assert set(people_of(source).values_list("location", flat=True)) == {"/Legal"}


def test_suspension_deactivates_and_reenabling_reactivates(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user)
    imported(source, admin_user)

    directory.update(10, enabled=False)
    run = idp_services.run_sync(source, by=admin_user)
    assert (run.status, run.counts["deactivated"]) == (SyncRun.Status.DONE, 1)
    assert Person.objects.get(email="person000010@example.com").status == "deactivated"

    directory.update(10, enabled=True)
    run = idp_services.run_sync(source, by=admin_user)
    assert run.counts["reactivated"] == 1
    assert Person.objects.get(email="person000010@example.com").status == "staged"


def test_guard_pauses_a_mass_deactivation_until_approved(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user)
    imported(source, admin_user)
    for index in range(100, 160):
        directory.update(index, enabled=False)

    run = idp_services.run_sync(source, by=admin_user)

    assert run.status == SyncRun.Status.AWAITING_APPROVAL
    assert (run.count_deactivated, run.deactivation_threshold) == (60, 50)
    assert Person.objects.filter(status="deactivated").count() == 0
    affected = {e["email"] for e in idp_services.deactivations_of(run)}
    assert affected == {f"person{i:06d}@example.com" for i in range(100, 160)}
    source.refresh_from_db()
    assert source.status == IdentitySource.Status.PAUSED
    assert sync_source_task(source.pk) == "skipped"

    run = idp_services.approve_run(run, by=admin_user)

    assert run.status == SyncRun.Status.DONE
    assert run.decided_by == admin_user
    assert Person.objects.filter(status="deactivated").count() == 60


def test_rejecting_a_paused_run_changes_nothing(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user, guard_mode="count", guard_value=5)
    imported(source, admin_user)
    for index in range(100, 110):
        directory.update(index, enabled=False)
    run = idp_services.run_sync(source, by=admin_user)
    assert (run.status, run.deactivation_threshold) == (SyncRun.Status.AWAITING_APPROVAL, 5)

    run = idp_services.reject_run(run, by=admin_user)

    assert run.status == SyncRun.Status.REJECTED
    assert Person.objects.filter(status="deactivated").count() == 0
    source.refresh_from_db()
    assert source.status == IdentitySource.Status.CONNECTED


def test_entra_incremental_run_reads_only_the_delta(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user)
    imported(source, admin_user)
    assert source.delta_link
    directory.update(10, title="Chief of staff")
    directory.update(11, manager=3)
    fake_graph.calls.clear()

    run = idp_services.run_sync(source, by=admin_user)

    assert (run.status, run.is_incremental) == (SyncRun.Status.DONE, True)
    assert (run.count_fetched, run.count_updated) == (2, 2)
    assert Person.objects.get(email="person000010@example.com").job_title == "Chief of staff"
    assert Person.objects.get(email="person000011@example.com").manager.email == (
        "person000003@example.com"
    )
    assert [c[1] for c in fake_graph.calls if c[1].startswith("/v1.0")] == ["/v1.0/users/delta"]


def test_entra_incremental_deactivates_people_leaving_scope(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user, scope_kind="departments", scope_values=["Sales"])
    imported(source, admin_user)
    mover = next(p for p in directory.people if p.department == "Sales")
    directory.update(mover.index, department="Finance")

    run = idp_services.run_sync(source, by=admin_user)

    assert (run.is_incremental, run.count_deactivated) == (True, 1)
    assert Person.objects.get(email=mover.email).status == "deactivated"


def test_expired_delta_link_falls_back_to_a_full_run(fake_graph, admin_user, directory):
    source = connect_entra(fake_graph, admin_user)
    imported(source, admin_user)
    directory.update(10, title="Chief of staff")
    fake_graph.expire_delta_links()

    run = idp_services.run_sync(source, by=admin_user)

    assert (run.status, run.is_incremental) == (SyncRun.Status.DONE, False)
    assert run.count_updated == 1
    source.refresh_from_db()
    assert "deltatoken" in source.delta_link


def test_existing_person_is_linked_not_duplicated(fake_google, admin_user):
    PersonFactory(email="Person000008@example.com", external_id="E000008")
    source = connect_google(
        fake_google, admin_user, scope_kind="managers", scope_values=["person000001@example.com"]
    )

    preview = idp_services.run_sync(source, by=admin_user)

    assert [(e["email"], e["from"]) for e in preview.linked] == [
        ("Person000008@example.com", "manual")
    ]
    idp_services.confirm_first_run(preview, by=admin_user)
    assert Person.objects.filter(email__iexact="person000008@example.com").count() == 1
    assert SourceLink.objects.filter(
        person__email__iexact="person000008@example.com"
    ).get().source == (source)


def test_a_person_claimed_by_another_source_is_reported_not_taken(
    fake_google, fake_graph, admin_user
):
    workspace = connect_google(
        fake_google, admin_user, scope_kind="departments", scope_values=["Legal"]
    )
    imported(workspace, admin_user)
    entra_source = connect_entra(
        fake_graph, admin_user, scope_kind="departments", scope_values=["Legal"]
    )

    run = idp_services.run_sync(entra_source, by=admin_user)

    legal = people_of(workspace).count()
    assert run.count_conflicts == legal
    assert run.counts["new"] == 0
    assert run.conflicts[0]["source"] == "Workspace"
    assert people_of(entra_source).count() == 0


def test_first_run_can_invite_everyone_now(fake_google, admin_user):
    source = connect_google(
        fake_google, admin_user, scope_kind="departments", scope_values=["Legal"]
    )
    run = imported(source, admin_user, invite_mode="now")

    assert run.invited_count == people_of(source).count() > 0
    assert set(people_of(source).values_list("status", flat=True)) == {"invited"}


def test_test_connection_names_the_reason(fake_graph, admin_user):
    source = connect_entra(fake_graph, admin_user)
    assert idp_services.test_connection(source, by=admin_user).ok is True

    fake_graph.consented = False
    result = idp_services.test_connection(source, by=admin_user)
    assert (result.ok, result.reason) == (False, "consent")
    assert result.message.startswith("Missing consent or scope: ")

    fake_graph.consented = True
    source = idp_services.update_source(
        source, by=admin_user, credentials={"client_secret": "nope"}
    )
    result = idp_services.test_connection(source, by=admin_user)
    assert (result.ok, result.reason) == (False, "credentials")


def test_failed_sync_is_recorded_with_its_reason(fake_graph, admin_user):
    source = connect_entra(fake_graph, admin_user)
    fake_graph.has_permission = False

    run = idp_services.run_sync(source, by=admin_user)

    assert (run.status, run.error_reason) == (SyncRun.Status.FAILED, "consent")
    source.refresh_from_db()
    assert source.status == IdentitySource.Status.FAILING


def test_credentials_are_encrypted_at_rest(fake_graph, admin_user):
    source = connect_entra(fake_graph, admin_user)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT encrypted_credentials FROM {IdentitySource._meta.db_table} WHERE id = %s",
            [source.pk],
        )
        (raw,) = cursor.fetchone()
    assert fake_graph.client_secret not in raw
    assert raw.startswith("gAAAA")
    assert decrypt_json(raw) == {"client_secret": fake_graph.client_secret}


@pytest.mark.parametrize("role", ["account_manager", "auditor"])
def test_only_system_administrators_manage_sources(fake_google, admin_user, role, request):
    someone = request.getfixturevalue(role)
    source = connect_google(fake_google, admin_user)

    with pytest.raises(NotAllowed):
        connect_google(fake_google, someone)
    with pytest.raises(NotAllowed):
        idp_services.run_sync(source, by=someone)
    with pytest.raises(NotAllowed):
        idp_services.test_connection(source, by=someone)
    with pytest.raises(NotAllowed):
        idp_services.update_source(source, by=someone, sync_interval_minutes=5)

    assert IdentitySource.objects.count() == 1
    assert SyncRun.objects.count() == 0
    assert fake_google.calls == []
    source.refresh_from_db()
    assert source.sync_interval_minutes == 60


def test_command_dry_run_prints_json_and_changes_nothing(fake_google, admin_user, capsys):
    connect_google(fake_google, admin_user, scope_kind="departments", scope_values=["Legal"])

    call_command("sync_source", "workspace", "--dry-run", "--json")

    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "dry_run"
    assert result["counts"]["new"] > 0
    assert Person.objects.count() == 1


def test_scheduled_task_waits_for_the_first_confirmation(fake_google, admin_user, directory):
    source = connect_google(
        fake_google, admin_user, scope_kind="departments", scope_values=["Legal"]
    )
    assert sync_source_task(source.pk) == "skipped"
    imported(source, admin_user)
    directory.update(
        next(p.index for p in directory.people if p.department == "Legal"), title="Counsel"
    )

    assert sync_source_task(source.pk) == "done"
    assert SyncRun.objects.filter(source=source, trigger="schedule").get().count_updated == 1


def test_a_sync_never_changes_or_deactivates_staff(fake_google, admin_user, directory):
    source = connect_google(fake_google, admin_user)
    imported(source, admin_user)
    staff = Person.objects.get(email="person000010@example.com")
    services.set_role(staff, role="account_manager", by=admin_user)
    staff.refresh_from_db()
    before = (staff.status, staff.job_title, staff.version)

    directory.update(10, enabled=False, title="Owner")
    run = idp_services.run_sync(source, by=admin_user)

    assert (run.status, run.counts["deactivated"], run.counts["skipped"]) == (
        SyncRun.Status.DONE,
        0,
        1,
    )
    staff.refresh_from_db()
    assert (staff.status, staff.job_title, staff.version) == before
