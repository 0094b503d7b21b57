"""The Groups column of spreadsheet imports: recognised headers, preview, apply,
rule-based groups, removals, bad cells, roles and the all-or-nothing apply."""

from __future__ import annotations

import pytest

from accounts.exceptions import NotAllowed
from accounts.groups import services as group_services
from accounts.groups.bulk import apply_listed_memberships
from accounts.groups.exceptions import InvalidGroup
from accounts.groups.signals import groups_changed
from accounts.models import Group, LifecycleEvent, Person
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportJob
from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview, xlsx_bytes
from tests.provisioning.imports.helpers import row_errors

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def members(name: str) -> list[str]:
    return sorted(Group.objects.get(name=name).members.values_list("email", flat=True))


def summary(job: ImportJob) -> list[tuple[str, bool, int, int]]:
    return [(g["name"], g["new"], g["joining"], g["leaving"]) for g in job.group_changes]


@pytest.mark.parametrize(
    "header", ["Groups", "Group", "Member of", "Group Membership", "Teams", "Distribution lists"]
)
def test_other_tools_headers_are_read_as_groups(admin_user, header):
    job, _ = preview(csv_bytes([["Email", header], ["ada@example.com", "Sales"]]), admin_user)
    assert [c["attribute"] for c in job.columns] == ["email", "groups"]
    assert summary(job) == [("Sales", True, 1, 0)]


def test_preview_shows_new_groups_and_memberships_per_group_and_writes_nothing(admin_user):
    ada = PersonFactory(email="ada@example.com")
    sales = group_services.create_group(name="Sales", by=admin_user, member_ids=[ada.pk])
    content = csv_bytes(
        [
            ["Email", "Groups"],
            ["ada@example.com", "sales; Engineering"],
            ["bob@example.com", " Engineering ,, ;London office\nSALES"],
            ["cy@example.com", ""],
        ]
    )
    job, _ = preview(content, admin_user)
    assert summary(job) == [
        ("Engineering", True, 2, 0),
        ("London office", True, 1, 0),
        ("Sales", False, 1, 0),
    ]
    rows = {r["email"]: r.get("groups") for r in selectors.list_import_rows(job, limit=10)}
    assert rows["ada@example.com"] == {
        "listed": ["sales", "Engineering"],
        "join": ["Engineering"],
        "leave": [],
    }
    assert rows["bob@example.com"]["join"] == ["Engineering", "London office", "Sales"]
    assert rows["cy@example.com"] == {"listed": [], "join": [], "leave": []}
    # Nothing written by the preview.
    assert list(Group.objects.values_list("name", flat=True)) == ["Sales"]
    assert list(sales.members.all()) == [ada]


def test_apply_adds_people_to_static_groups_creating_missing_ones(
    admin_user, django_capture_on_commit_callbacks
):
    ada = PersonFactory(email="ada@example.com")
    sales = group_services.create_group(name="Sales", by=admin_user)
    content = csv_bytes(
        [["Email", "Groups"], ["ada@example.com", "Sales"], ["bob@example.com", "sales, Ops"]]
    )
    job, _ = preview(content, admin_user)
    services.confirm_import(job, by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.apply_import(job.pk)
    assert job.status == ImportJob.Status.DONE
    assert members("Sales") == ["ada@example.com", "bob@example.com"]
    assert members("Ops") == ["bob@example.com"]
    ops = Group.objects.get(name="Ops")
    assert (ops.source, ops.kind) == (Group.Source.SPREADSHEET, Group.Kind.STATIC)
    sales.refresh_from_db()
    assert sales.version == 2
    joined = LifecycleEvent.objects.filter(action="joined_group").order_by("person_id", "id")
    bob = Person.objects.get(email="bob@example.com")
    assert sorted((e.person_id, e.changes["group"][1], e.actor_kind) for e in joined) == sorted(
        [
            (ada.pk, "Sales", "import"),
            (bob.pk, "Sales", "import"),
            (bob.pk, "Ops", "import"),
        ]
    )
    assert joined[0].actor_label.startswith(f"Spreadsheet import #{job.pk} by ")
    created = LifecycleEvent.objects.get(subject="Group Ops", action="created")
    assert created.actor_kind == "import"


def test_memberships_are_published_for_scim_after_commit(
    admin_user, django_capture_on_commit_callbacks
):
    sent: list[tuple[list[int], str]] = []

    def receiver(sender, *, group_ids, action, **kwargs):
        sent.append((sorted(group_ids), action))

    groups_changed.connect(receiver)
    try:
        job, _ = preview(csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]]), admin_user)
        services.confirm_import(job, by=admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            services.apply_import(job.pk)
    finally:
        groups_changed.disconnect(receiver)
    ops = Group.objects.get(name="Ops")
    assert (sorted([ops.pk]), "created") in sent
    assert ([ops.pk], "members") in sent


def test_applying_the_same_file_twice_changes_nothing(admin_user):
    content = csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]])
    apply_now(preview(content, admin_user)[0], admin_user)
    version = Group.objects.get(name="Ops").version
    job, _ = preview(content, admin_user)
    assert summary(job) == [("Ops", False, 0, 0)]
    apply_now(job, admin_user)
    assert Group.objects.get(name="Ops").version == version
    assert LifecycleEvent.objects.filter(action="joined_group").count() == 1


def test_a_rule_based_group_is_never_joined_and_the_row_says_why(admin_user):
    PersonFactory(email="ada@example.com", department="Sales")
    group_services.create_group(
        name="Engineering",
        kind="rule",
        rule={"conditions": [{"attribute": "department", "value": "Engineering"}]},
        by=admin_user,
    )
    content = csv_bytes([["Email", "Member of"], ["ada@example.com", "engineering; Ops"]])
    job, _ = preview(content, admin_user)
    (entry,) = selectors.list_import_rows(job, limit=10)
    assert entry["warnings"] == [
        {
            "column": "Member of",
            "message": "Engineering is a rule-based group; membership comes from its rule.",
        }
    ]
    assert summary(job) == [("Engineering", False, 0, 0), ("Ops", True, 1, 0)]
    apply_now(job, admin_user)
    assert members("Engineering") == []
    assert members("Ops") == ["ada@example.com"]


def test_a_group_from_an_identity_provider_is_never_joined_from_a_file(admin_user):
    PersonFactory(email="ada@example.com")
    group_services.create_group(name="Designers", source=Group.Source.GOOGLE, by=admin_user)
    content = csv_bytes([["Email", "Groups"], ["ada@example.com", "Designers"]])
    job, _ = preview(content, admin_user)
    (entry,) = selectors.list_import_rows(job, limit=10)
    assert entry["warnings"] == [
        {
            "column": "Groups",
            "message": "Designers comes from Google Workspace; "
            "membership follows the identity provider.",
        }
    ]
    assert summary(job) == [("Designers", False, 0, 0)]
    apply_now(job, admin_user)
    assert members("Designers") == []


def test_removal_is_off_by_default_and_on_only_touches_spreadsheet_groups(admin_user):
    ada = PersonFactory(email="ada@example.com")
    bob = PersonFactory(email="bob@example.com")
    apply_now(
        preview(
            csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops; Night shift"]]), admin_user
        )[0],
        admin_user,
    )
    manual = group_services.create_group(name="Hand made", by=admin_user, member_ids=[ada.pk])
    content = csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"], [bob.email, ""]])

    job, _ = preview(content, admin_user)
    assert summary(job) == [("Ops", False, 0, 0)]
    apply_now(job, admin_user)
    assert members("Night shift") == ["ada@example.com"]

    job, _ = preview(content, admin_user, remove_from_groups=True)
    assert summary(job) == [("Night shift", False, 0, 1), ("Ops", False, 0, 0)]
    apply_now(job, admin_user)
    assert members("Night shift") == []
    assert members("Ops") == ["ada@example.com"]
    assert list(manual.members.all()) == [ada]
    left = LifecycleEvent.objects.get(action="left_group")
    assert (left.person_id, left.changes) == (ada.pk, {"group": ["Night shift", None]})


def test_xlsx_groups_with_line_breaks_in_a_cell(admin_user):
    content = xlsx_bytes({"People": [["Email", "Teams"], ["ada@example.com", "Ops\nSales\n"]]})
    job, _ = preview(content, admin_user, filename="people.xlsx")
    assert summary(job) == [("Ops", True, 1, 0), ("Sales", True, 1, 0)]
    apply_now(job, admin_user)
    assert members("Sales") == ["ada@example.com"]


def test_a_name_over_200_characters_is_a_row_error_and_the_row_changes_nothing(admin_user):
    long_name = "x" * 201
    content = csv_bytes(
        [["Email", "Groups"], ["ada@example.com", f"Ops; {long_name}"], ["bob@example.com", "Ops"]]
    )
    job, _ = preview(content, admin_user, skip_invalid=True)
    assert row_errors(job) == [
        (
            2,
            "Groups",
            f"The group name “{'x' * 40}…” in the Groups column is 201 characters long; "
            "a group name holds at most 200.",
        )
    ]
    assert summary(job) == [("Ops", True, 1, 0)]
    apply_now(job, admin_user)
    assert members("Ops") == ["bob@example.com"]
    assert not Person.objects.filter(email="ada@example.com").exists()


def test_a_failure_while_writing_groups_leaves_no_person_behind(admin_user, monkeypatch):
    job, _ = preview(csv_bytes([["Email", "Groups"], ["new@example.com", "Ops"]]), admin_user)
    services.confirm_import(job, by=admin_user)

    def refuse(*args, **kwargs):
        raise InvalidGroup({"name": "The group could not be written."})

    monkeypatch.setattr(group_services, "write_membership_changes", refuse)
    job = services.apply_import(job.pk)
    assert (job.status, job.error_message) == (
        ImportJob.Status.FAILED,
        "name: The group could not be written.",
    )
    assert not Person.objects.filter(email="new@example.com").exists()
    assert not Group.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_an_account_manager_imports_groups(account_manager):
    job, _ = preview(csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]]), account_manager)
    apply_now(job, account_manager)
    assert members("Ops") == ["ada@example.com"]


def test_an_auditor_may_not_write_listed_memberships(auditor):
    ada = PersonFactory()
    with pytest.raises(NotAllowed):
        apply_listed_memberships([(ada.pk, ["Ops"])], by=auditor)
    assert not Group.objects.exists()


def test_a_column_chosen_as_groups_is_read_as_groups(admin_user):
    content = csv_bytes([["Email", "Cohorts"], ["ada@example.com", "Ops"]])
    job, _ = preview(content, admin_user, mapping={"Cohorts": "groups"})
    assert [(c["header"], c["attribute"], c["state"]) for c in job.columns][1] == (
        "Cohorts",
        "groups",
        "mapped",
    )
    assert summary(job) == [("Ops", True, 1, 0)]


def test_command_line_import_prints_groups_and_removes_when_asked(admin_user, tmp_path):
    from tests.provisioning.imports.test_commands import run

    ada = PersonFactory(email="ada@example.com")
    group_services.create_group(
        name="Old", by=admin_user, source=Group.Source.SPREADSHEET, member_ids=[ada.pk]
    )
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]]))
    code, out, _ = run(str(path), "--as", admin_user.email, "--remove-from-groups")
    assert code == 0, out
    assert "  Group Old: +0 -1" in out.splitlines()
    assert "  Group Ops: new, +1 -0" in out.splitlines()
    assert members("Ops") == ["ada@example.com"]
    assert members("Old") == []
