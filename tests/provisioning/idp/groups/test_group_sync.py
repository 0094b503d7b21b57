"""Groups from identity providers, end to end on PostgreSQL: a source's run brings
the chosen groups in as static Roster groups with the people it brought in,
and later runs follow renames, membership changes and deletions."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.groups.signals import groups_changed
from accounts.models import Group, LifecycleEvent, Person
from provisioning.idp import services as idp_services
from provisioning.idp.group_models import SourceGroup
from provisioning.idp.models import IdentitySource, SyncRun
from tests.factories import PersonFactory
from tests.provisioning.idp.fake_google import GROUP_SCOPE, READONLY_SCOPE
from tests.provisioning.idp.test_sync import connect_entra, connect_google

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def email(index: int) -> str:
    return f"person{index:06d}@example.com"


def members(name: str) -> set[str]:
    return set(Group.objects.get(name=name).members.values_list("email", flat=True))


def first_import(source, by):
    preview = idp_services.run_sync(source, by=by)
    assert preview.status == SyncRun.Status.PREVIEW, preview.error_message
    run = idp_services.confirm_first_run(preview, by=by)
    assert run.status == SyncRun.Status.DONE, run.error_message
    source.refresh_from_db()
    return preview, run


def choose(source, by, scope, keys=()):
    return idp_services.choose_groups(source, by=by, scope=scope, keys=keys)


def test_google_first_run_previews_groups_then_brings_them_in_with_members(fake_google, admin_user):
    contractor = PersonFactory(email="partner@elsewhere.org")
    fake_google.book.add(
        "g-eng",
        "Engineering",
        description="Builders",
        users={1, 2, 3},
        nested={"g-ops"},
        external={"Partner@Elsewhere.org", "stranger@nowhere.org"},
    )
    fake_google.book.add("g-all", "Everyone", everyone=True)
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)

    preview, run = first_import(source, admin_user)

    assert (preview.count_groups_new, preview.count_group_joins) == (2, 4 + 40)
    assert {c["name"]: (c["action"], c["joins"]) for c in preview.group_changes} == {
        "Engineering": ("new", 4),
        "Everyone": ("new", 40),
    }
    assert {w["group"]: w["message"] for w in preview.group_warnings} == {
        "Engineering": "1 member(s) not in Roster from this source, skipped; "
        "1 nested group(s) not expanded."
    }
    eng = Group.objects.get(name="Engineering")
    assert (eng.source, eng.kind, eng.external_id, eng.description) == (
        "google",
        "static",
        "g-eng",
        "Builders",
    )
    assert members("Engineering") == {email(1), email(2), email(3), contractor.email}
    assert members("Everyone") == {email(i) for i in range(40)}
    assert SourceGroup.objects.get(group=eng).source == source
    assert (run.count_groups_new, run.count_group_joins, run.count_group_skipped) == (2, 44, 1)
    created = LifecycleEvent.objects.get(subject_kind="group", subject="Group Engineering")
    assert created.actor_kind == "integration"
    joined = LifecycleEvent.objects.filter(action="joined_group", person__email=email(1))
    assert sorted(joined.values_list("changes__group", flat=True)) == [
        [None, "Engineering"],
        [None, "Everyone"],
    ]


def test_google_change_round_follows_the_provider_and_a_quiet_run_changes_nothing(
    fake_google, admin_user
):
    fake_google.book.add("g-a", "Alpha", users={1, 2})
    fake_google.book.add("g-b", "Beta", users={3})
    fake_google.book.add("g-c", "Gamma", users={4})
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)
    first_import(source, admin_user)
    fake_google.book.join("g-a", 5)
    fake_google.book.leave("g-a", 1)
    fake_google.book.rename("g-b", "Beta team")
    fake_google.book.delete("g-c")

    preview = idp_services.run_sync(source, by=admin_user, dry_run=True)
    run = idp_services.run_sync(source, by=admin_user)

    expected = {
        "Alpha": ("members", "", 1, 1),
        "Beta team": ("rename", "Beta", 0, 0),
        "Gamma": ("delete", "", 0, 1),
    }
    for shown in (preview, run):
        assert {
            c["name"]: (c["action"], c["old_name"], c["joins"], c["leaves"])
            for c in shown.group_changes
        } == expected
    assert run.status == SyncRun.Status.DONE
    assert (run.count_groups_renamed, run.count_groups_deleted) == (1, 1)
    assert members("Alpha") == {email(2), email(5)}
    assert members("Beta team") == {email(3)}
    assert not Group.objects.filter(name__in=["Gamma", "Beta"]).exists()
    versions = dict(Group.objects.values_list("name", "version"))
    events = LifecycleEvent.objects.count()

    quiet = idp_services.run_sync(source, by=admin_user)

    assert quiet.status == SyncRun.Status.DONE
    assert quiet.group_changes == []
    assert (quiet.count_groups_unchanged, quiet.count_group_joins) == (2, 0)
    assert dict(Group.objects.values_list("name", "version")) == versions
    assert LifecycleEvent.objects.count() == events


def test_entra_change_round_reads_only_group_changes(fake_graph, admin_user):
    fake_graph.book.add("g-a", "Alpha", users={1, 2})
    fake_graph.book.add("g-b", "Beta", users={3}, devices=1)
    fake_graph.book.add("g-c", "Gamma", users={4})
    source = connect_entra(fake_graph, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)
    first_import(source, admin_user)
    source.refresh_from_db()
    assert source.groups_delta_link.startswith(f"{fake_graph.base_url}/v1.0/groups/delta?")
    fake_graph.book.join("g-a", 5)
    fake_graph.book.leave("g-a", 1)
    fake_graph.book.rename("g-b", "Beta team")
    fake_graph.book.delete("g-c")
    fake_graph.calls.clear()

    run = idp_services.run_sync(source, by=admin_user)

    assert run.status == SyncRun.Status.DONE, run.error_message
    assert fake_graph.calls_to("/members") == []
    assert fake_graph.calls_to("/v1.0/groups/delta")[0][2]["$deltatoken"] != "latest"
    assert members("Alpha") == {email(2), email(5)}
    assert members("Beta team") == {email(3)}
    assert not Group.objects.filter(name="Gamma").exists()
    versions = dict(Group.objects.values_list("name", "version"))

    quiet = idp_services.run_sync(source, by=admin_user)

    assert (quiet.group_changes, quiet.count_group_joins, quiet.count_group_leaves) == ([], 0, 0)
    assert dict(Group.objects.values_list("name", "version")) == versions


def test_only_the_chosen_groups_come_in_and_dropping_one_deletes_it(fake_graph, admin_user):
    fake_graph.book.add("g-a", "Alpha", users={1})
    fake_graph.book.add("g-b", "Beta", users={2})
    source = connect_entra(fake_graph, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.CHOSEN, ["g-b"])
    first_import(source, admin_user)
    assert list(Group.objects.values_list("name", flat=True)) == ["Beta"]

    source = choose(source, admin_user, IdentitySource.GroupScope.CHOSEN, ["g-a", "g-gone"])
    run = idp_services.run_sync(source, by=admin_user)

    assert {c["name"]: c["action"] for c in run.group_changes} == {
        "Alpha": "new",
        "Beta": "delete",
    }
    assert list(Group.objects.values_list("name", flat=True)) == ["Alpha"]
    assert Person.objects.filter(email=email(2)).exists()
    assert run.group_warnings == [
        {"group": "g-gone", "message": "Chosen, but the provider has no group with this id."}
    ]


def test_no_groups_by_default_reads_no_groups(fake_google, admin_user):
    fake_google.book.add("g-a", "Alpha", users={1})
    source = connect_google(fake_google, admin_user)

    first_import(source, admin_user)

    assert source.group_scope == IdentitySource.GroupScope.NONE
    assert fake_google.calls_to("/groups") == []
    assert not Group.objects.exists()


def test_a_name_roster_already_uses_is_left_alone_with_a_warning(fake_google, admin_user):
    manual = Group.objects.create(name="engineering")
    fake_google.book.add("g-eng", "Engineering", users={1})
    fake_google.book.add("g-ops", "Operations", users={2})
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)

    _, run = first_import(source, admin_user)

    assert run.group_warnings == [
        {
            "group": "Engineering",
            "message": "Not brought in: a group named “Engineering” already exists in Roster.",
        }
    ]
    assert set(Group.objects.values_list("name", flat=True)) == {"engineering", "Operations"}
    assert not manual.members.exists()


def test_a_conflict_arising_after_the_preview_is_skipped_not_forced(fake_google, admin_user):
    fake_google.book.add("g-eng", "Engineering", users={1})
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)
    preview = idp_services.run_sync(source, by=admin_user)
    # Another group takes the provider's id between the preview and the confirmation.
    Group.objects.create(name="Imported by hand", external_id="g-eng")

    run = idp_services.confirm_first_run(preview, by=admin_user)

    assert run.status == SyncRun.Status.DONE
    assert run.count_groups_new == 0
    assert run.group_warnings[0]["message"] == (
        "Not brought in: another Roster group has this external ID."
    )
    assert list(Group.objects.values_list("name", flat=True)) == ["Imported by hand"]


def test_a_group_the_database_refuses_rolls_back_people_and_groups(fake_google, admin_user):
    fake_google.book.add("g-a", "Alpha", users={1})
    fake_google.book.add("g-x", "Explode", users={2})
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)
    preview = idp_services.run_sync(source, by=admin_user)
    with connection.cursor() as cursor:
        # A refusal only the database knows about, met after "Alpha" was written.
        cursor.execute(
            "ALTER TABLE accounts_group ADD CONSTRAINT refuse_explode CHECK (name <> 'Explode')"
        )

    run = idp_services.confirm_first_run(preview, by=admin_user)

    assert run.status == SyncRun.Status.FAILED
    assert "nothing was changed" in run.error_message
    assert Person.objects.count() == 1
    assert not Group.objects.exists()
    assert not LifecycleEvent.objects.filter(subject_kind="group").exists()


def test_applied_groups_are_published_for_scim_after_commit(
    fake_google, admin_user, django_capture_on_commit_callbacks
):
    fake_google.book.add("g-eng", "Engineering", users={1, 2})
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)
    preview = idp_services.run_sync(source, by=admin_user)
    seen: list[tuple[str, list[int]]] = []

    def note(sender, *, group_ids, action, **kwargs):
        seen.append((action, group_ids))

    groups_changed.connect(note)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            idp_services.confirm_first_run(preview, by=admin_user)
    finally:
        groups_changed.disconnect(note)

    group = Group.objects.get(name="Engineering")
    assert ("created", [group.pk]) in seen
    assert ("members", [group.pk]) in seen


def test_groups_without_the_group_delegation_fail_the_run_saying_what_to_grant(
    fake_google, admin_user
):
    fake_google.book.add("g-a", "Alpha", users={1})
    fake_google.delegated_scopes = {READONLY_SCOPE}
    source = connect_google(fake_google, admin_user)
    source = choose(source, admin_user, IdentitySource.GroupScope.ALL)

    run = idp_services.run_sync(source, by=admin_user)

    assert run.status == SyncRun.Status.FAILED
    assert GROUP_SCOPE in run.error_message
    assert Person.objects.count() == 1
    source.refresh_from_db()
    assert source.status == IdentitySource.Status.FAILING
