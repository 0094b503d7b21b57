"""The push engine against a real scim2-server process."""

from __future__ import annotations

import pytest

from accounts import services as people
from accounts.actors import SYSTEM
from accounts.models import Person
from provisioning.scim import mapping, push, selectors, services
from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push.claim import load_claimed
from provisioning.scim.push.loop import push_batch
from provisioning.scim.tasks import sync_target_task
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import raw_client, remote_users

ENT = mapping.ENTERPRISE
pytestmark = pytest.mark.django_db


def enable(target: ScimTarget, actor) -> ScimRun:
    """Enable the target and run its initial sync in-process (as the task would)."""
    run = services.enable_target(target, by=actor)
    sync_target_task(target.pk, run.pk)
    run.refresh_from_db()
    return run


def push_now(target: ScimTarget, **caps):
    client = push.client_for(target) if not caps else None
    with client or raw_client(target.base_url, **caps) as c:
        outcome = push.push_pending(target.pk, client=c)
        return outcome, [(s.method, s.path, s.body or s.params) for s in c.sent]


def by_name(url: str) -> dict[str, dict]:
    return {u["userName"]: u for u in remote_users(url)}


def test_initial_sync_creates_everyone_in_scope_with_mapped_attributes(make_target, tenant, actor):
    boss = PersonFactory(
        email="boss@example.com",
        first_name="Grace",
        last_name="Hopper",
        full_name="Grace Hopper",
        department="Engineering",
        location="London",
        job_title="CTO",
        external_id="E-1",
        phone_number="+442071234567",
    )
    ada = PersonFactory(email="ada@example.com", manager=boss, department="Engineering")
    PersonFactory(email="sam@example.com", department="Sales")
    target = make_target(tenant, scope_departments=["Engineering"])

    run = enable(target, actor)

    users = by_name(tenant)
    assert sorted(users) == ["ada@example.com", "boss@example.com"]
    b = users["boss@example.com"]
    assert b["externalId"] == str(boss.pk)
    assert b["name"] == {"givenName": "Grace", "familyName": "Hopper", "formatted": "Grace Hopper"}
    assert b["displayName"] == "Grace Hopper"
    assert b["emails"] == [{"value": "boss@example.com", "type": "work", "primary": True}]
    assert b["phoneNumbers"] == [{"value": "+442071234567", "type": "work"}]
    assert b["title"] == "CTO"
    assert b["active"] is True
    assert b["addresses"] == [{"type": "work", "locality": "London"}]
    assert b[ENT] == {"department": "Engineering", "employeeNumber": "E-1"}
    assert users["ada@example.com"][ENT]["manager"] == {"value": b["id"]}
    links = {lk.person_id: lk for lk in ScimLink.objects.filter(target=target)}
    assert links[boss.pk].remote_id == b["id"]
    assert links[ada.pk].synced_version == ada.version
    assert run.status == ScimRun.Status.FINISHED
    # Ada's manager is set by a second request once the boss exists: that
    # update is a step of the run too, so the total grows with it.
    assert (run.total, run.created, run.updated, run.failed) == (3, 2, 1, 0)
    assert run.done == run.total
    target.refresh_from_db()
    assert target.initial_sync_at is not None


def test_initial_sync_adopts_existing_remote_users_from_one_listing(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", job_title="Engineer", department="Eng")
    PersonFactory(email="bob@example.com")
    with raw_client(tenant) as c:
        existing = c.create_user(
            {"schemas": [mapping.USER_SCHEMA], "userName": "ada@example.com", "title": "Old"}
        )
    target = make_target(tenant)
    run = services.enable_target(target, by=actor)
    with raw_client(tenant, bulk=True, bulk_max_operations=1000, sort=True) as c:
        push.sync_target(target.pk, run_id=run.pk, client=c)
        push.push_pending(target.pk, run_id=run.pk, client=c)
        sent = [(s.method, s.path) for s in c.sent]

    assert sent[:4] == [
        ("GET", "/ServiceProviderConfig"),
        ("GET", "/ResourceTypes"),
        ("GET", "/Schemas"),
        ("GET", "/Users"),
    ]
    assert sorted(sent[4:]) == [("PATCH", f"/Users/{existing.id}"), ("POST", "/Users")]
    users = by_name(tenant)
    assert len(users) == 2
    assert users["ada@example.com"]["id"] == existing.id
    assert users["ada@example.com"]["title"] == "Engineer"
    assert ScimLink.objects.get(person=ada).remote_id == existing.id
    run.refresh_from_db()
    assert (run.adopted, run.created) == (1, 1)
    assert (run.done, run.total) == (3, 3)


def test_update_patches_only_the_changed_attribute(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", job_title="Engineer")
    target = make_target(tenant)
    enable(target, actor)
    remote_id = ScimLink.objects.get(person=ada).remote_id

    people.update_person(ada, by=SYSTEM, job_title="Principal Engineer")
    outcome, sent = push_now(target)

    assert sent == [
        (
            "PATCH",
            f"/Users/{remote_id}",
            {
                "Operations": [{"op": "replace", "path": "title", "value": "Principal Engineer"}],
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            },
        ),
    ]
    assert by_name(tenant)["ada@example.com"]["title"] == "Principal Engineer"
    assert outcome.counts["updated"] == 1


def test_a_redelivered_push_sends_nothing(make_target, tenant, actor):
    PersonFactory.create_batch(3)
    target = make_target(tenant)
    enable(target, actor)

    outcome, sent = push_now(target)

    assert sent == []
    assert outcome.counts["created"] == 0


def test_deactivation_patches_active_false_and_reactivation_true(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant)
    enable(target, actor)
    remote_id = ScimLink.objects.get(person=ada).remote_id

    people.deactivate_person(ada, by=SYSTEM)
    _, sent = push_now(target)
    assert [(m, p) for m, p, _ in sent] == [("PATCH", f"/Users/{remote_id}")]
    assert sent[0][2]["Operations"] == [{"op": "replace", "path": "active", "value": False}]
    assert by_name(tenant)["ada@example.com"]["active"] is False

    people.reactivate_person(Person.objects.get(pk=ada.pk), by=SYSTEM)
    _, sent = push_now(target)
    assert sent[0][2]["Operations"] == [{"op": "replace", "path": "active", "value": True}]
    assert by_name(tenant)["ada@example.com"]["active"] is True


def test_delete_mode_deletes_and_reactivation_creates_again(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant, deactivation="delete")
    enable(target, actor)

    people.deactivate_person(ada, by=SYSTEM)
    push_now(target)
    assert by_name(tenant) == {}
    assert ScimLink.objects.get(person=ada).remote_id is None

    people.reactivate_person(Person.objects.get(pk=ada.pk), by=SYSTEM)
    _, sent = push_now(target)
    assert [m for m, _, _ in sent] == ["POST"]
    assert list(by_name(tenant)) == ["ada@example.com"]


def test_deleted_person_is_deleted_on_the_target_by_the_sweep(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant)
    enable(target, actor)
    remote_id = ScimLink.objects.get(person=ada).remote_id

    people.delete_person(ada, by=SYSTEM)
    link = ScimLink.objects.get(target=target)
    assert (link.person_id, link.person_ref) == (None, ada.pk)
    _, sent = push_now(target)

    assert [(m, p) for m, p, _ in sent] == [("DELETE", f"/Users/{remote_id}")]
    assert by_name(tenant) == {}
    assert not ScimLink.objects.filter(target=target).exists()


def test_leaving_the_scope_deactivates_and_coming_back_reactivates(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", department="Engineering")
    target = make_target(tenant, scope_departments=["Engineering"])
    enable(target, actor)

    people.update_person(ada, by=SYSTEM, department="Sales")
    push_now(target)
    assert by_name(tenant)["ada@example.com"]["active"] is False
    assert by_name(tenant)["ada@example.com"][ENT]["department"] == "Engineering"

    people.update_person(Person.objects.get(pk=ada.pk), by=SYSTEM, department="Engineering")
    push_now(target)
    assert by_name(tenant)["ada@example.com"]["active"] is True


def test_a_single_new_person_is_looked_up_before_create(make_target, tenant, actor):
    target = make_target(tenant)
    enable(target, actor)
    with raw_client(tenant) as c:
        existing = c.create_user({"schemas": [mapping.USER_SCHEMA], "userName": "new@example.com"})

    people.create_person(email="new@example.com", first_name="New", by=SYSTEM)
    _, sent = push_now(target)

    assert [m for m, _, _ in sent] == ["GET", "PATCH"]
    assert 'userName eq "new@example.com"' in str(sent[0])
    assert len(remote_users(tenant)) == 1
    assert ScimLink.objects.get(person__email="new@example.com").remote_id == existing.id


def test_a_conflict_on_create_adopts_the_existing_user(make_target, tenant, actor):
    target = make_target(tenant)
    enable(target, actor)
    person = people.create_person(email="dup@example.com", by=SYSTEM)
    push.ensure_links(target)
    ScimLink.objects.filter(person=person).update(needs_lookup=False)
    with raw_client(tenant) as c:
        existing = c.create_user({"schemas": [mapping.USER_SCHEMA], "userName": "dup@example.com"})
    # claim() marks a create as needing lookup; simulate a listing that saw it absent.
    outcome = push.PushOutcome()
    with raw_client(tenant) as c:
        engine = push.PushEngine(target, c, outcome)
        claimed = push.claim(target, 10)
        work = load_claimed(target, [(i, False) for i, _ in claimed])
        push_batch(target, engine, work, outcome)
        methods = [s.method for s in c.sent]

    assert methods == ["POST", "GET", "PATCH"]
    assert len(remote_users(tenant)) == 1
    assert ScimLink.objects.get(person=person).remote_id == existing.id


def test_put_replaces_the_user_when_the_target_has_no_patch(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", job_title="Engineer")
    target = make_target(tenant)
    enable(target, actor)

    people.update_person(ada, by=SYSTEM, job_title="Lead")
    _, sent = push_now(target, patch=False)

    assert [m for m, _, _ in sent] == ["PUT"]
    assert by_name(tenant)["ada@example.com"]["title"] == "Lead"


def test_manager_is_set_in_a_second_pass_once_created(make_target, tenant, actor):
    boss = PersonFactory(email="boss@example.com")
    ada = PersonFactory(email="ada@example.com", manager=boss)
    target = make_target(tenant)
    services.enable_target(target, by=actor)
    push.ensure_links(target)
    # The report is pushed first, before the manager exists on the target.
    ScimLink.objects.filter(person=boss).update(next_attempt_at="2999-01-01T00:00Z")
    push_now(target)
    assert ScimLink.objects.get(person=ada).needs_manager is True
    assert (
        ENT not in by_name(tenant)["ada@example.com"]
        or "manager" not in by_name(tenant)["ada@example.com"][ENT]
    )

    ScimLink.objects.filter(person=boss).update(next_attempt_at=None)
    push_now(target)

    boss_id = ScimLink.objects.get(person=boss).remote_id
    assert by_name(tenant)["ada@example.com"][ENT]["manager"] == {"value": boss_id}
    assert ScimLink.objects.get(person=ada).needs_manager is False


def test_dry_run_shows_requests_and_sends_nothing(make_target, tenant, actor, proxy):
    PersonFactory(email="ada@example.com")
    target = make_target(proxy.url(tenant.split("/")[-2]))
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)

    run = services.dry_run(target, by=actor)

    assert proxy.seen == []
    assert (run.total, run.created, run.requests) == (1, 1, 2)
    assert run.report["requests"][0]["method"] == "GET"
    assert run.report["requests"][1]["method"] == "POST"
    assert run.report["requests"][1]["body"]["userName"] == "ada@example.com"
    assert not ScimLink.objects.exists()


def test_reconcile_reports_drift_and_fix_corrects_it(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com", job_title="Engineer")
    PersonFactory(email="bob@example.com")
    target = make_target(tenant)
    enable(target, actor)
    remote_id = ScimLink.objects.get(person=ada).remote_id
    with raw_client(tenant) as c:
        c.patch_user(remote_id, [{"op": "replace", "path": "title", "value": "Hacker"}])
        c.create_user({"schemas": [mapping.USER_SCHEMA], "userName": "stranger@example.com"})
        c.delete_user(ScimLink.objects.get(person__email="bob@example.com").remote_id)

    run = services.start_reconcile(target, by=actor)
    report = push.reconcile_target(target.pk, run_id=run.pk, fix=False)
    assert report["drifted"] == [{"person": "ada@example.com", "attributes": ["title"]}]
    assert report["missing"] == [{"person": "bob@example.com"}]
    assert report["unmanaged"][0]["userName"] == "stranger@example.com"
    assert by_name(tenant)["ada@example.com"]["title"] == "Hacker"

    push.reconcile_target(target.pk, run_id=run.pk, fix=True)
    push_now(target)
    users = by_name(tenant)
    assert users["ada@example.com"]["title"] == "Engineer"
    assert sorted(users) == ["ada@example.com", "bob@example.com", "stranger@example.com"]


def test_test_connection_stores_what_the_target_supports(make_target, tenant, actor):
    target = make_target(tenant)

    caps = services.test_connection(target, by=actor)

    assert (caps.patch, caps.bulk, caps.filter, caps.etag, caps.sort) == (True,) * 5
    assert caps.bulk_max_operations == 1000
    assert "User" in caps.resource_types
    assert ENT in caps.schemas
    target.refresh_from_db()
    assert target.capabilities["bulk_max_payload_size"] == 1048576


def test_list_links_for_person_gives_remote_id_and_last_push(make_target, tenant, actor):
    ada = PersonFactory(email="ada@example.com")
    target = make_target(tenant, name="Slack")
    enable(target, actor)

    links = list(selectors.list_links_for_person(ada.pk))

    assert [(lk.target.name, lk.remote_id) for lk in links] == [
        ("Slack", by_name(tenant)["ada@example.com"]["id"])
    ]
    assert links[0].last_pushed_at is not None
    assert selectors.count_link_states(target) == {"in_sync": 1, "pending": 0, "failed": 0}


def test_a_person_change_enqueues_a_push_for_each_active_target_after_commit(
    make_target, tenant, monkeypatch, django_capture_on_commit_callbacks
):
    from provisioning.scim import tasks

    sent: list[tuple] = []
    monkeypatch.setattr(tasks.push_target_task, "apply_async", lambda args, **kw: sent.append(args))
    active = make_target(tenant, name="On")
    paused = make_target(tenant, name="Paused")
    make_target(tenant, name="Off")
    ScimTarget.objects.filter(pk__in=[active.pk, paused.pk]).update(is_enabled=True)
    ScimTarget.objects.filter(pk=paused.pk).update(state=ScimTarget.State.PAUSED)

    with django_capture_on_commit_callbacks(execute=True):
        people.create_person(email="new@example.com", by=SYSTEM)
        assert sent == []  # nothing before commit

    assert sent == [(active.pk,)]


def test_a_broker_failure_never_fails_the_change(
    make_target, tenant, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from provisioning.scim import tasks

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.push_target_task, "apply_async", down)
    target = make_target(tenant)
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)

    with django_capture_on_commit_callbacks(execute=True):
        person = people.create_person(email="new@example.com", by=SYSTEM)

    assert Person.objects.filter(pk=person.pk).exists()
    push.ensure_links(target)
    assert list(push.pending_links(target).values_list("person_ref", flat=True)) == [person.pk]


def test_narrowing_the_scope_deactivates_people_who_left_it(make_target, tenant, actor):
    PersonFactory(email="eng@example.com", department="Engineering")
    PersonFactory(email="sales@example.com", department="Sales")
    target = make_target(tenant)
    enable(target, actor)

    services.update_target(target, by=actor, scope_departments=["Engineering"])
    _, sent = push_now(target)

    assert [m for m, _, _ in sent] == ["PATCH"]
    users = by_name(tenant)
    assert (users["eng@example.com"]["active"], users["sales@example.com"]["active"]) == (
        True,
        False,
    )


def test_the_sweep_enqueues_only_targets_with_pending_people(make_target, tenant, monkeypatch):
    from provisioning.scim import tasks

    sent: list[tuple] = []
    monkeypatch.setattr(tasks.push_target_task, "apply_async", lambda args, **kw: sent.append(args))
    idle = make_target(tenant, name="Idle", scope_departments=["Nobody"])
    busy = make_target(tenant, name="Busy")
    ScimTarget.objects.update(is_enabled=True)
    PersonFactory()

    tasks.sweep_task()

    assert sent == [(busy.pk,)]
    assert idle.pk not in [s[0] for s in sent]
