"""Group services: names, members, rules, audit, publication and roles."""

from __future__ import annotations

import pytest

from accounts import services as people
from accounts.actors import SYSTEM
from accounts.exceptions import NotAllowed
from accounts.groups import services
from accounts.groups.exceptions import InvalidGroup, InvalidRule, MembersAreComputed, UnknownMembers
from accounts.groups.signals import groups_changed
from accounts.groups.tasks import recompute_groups_task
from accounts.models import Group, GroupMembership, LifecycleEvent, Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ENGINEERING = {
    "match": "all",
    "conditions": [{"attribute": "department", "operator": "is", "value": "Engineering"}],
}


def member_emails(group: Group) -> list[str]:
    return sorted(group.members.values_list("email", flat=True))


def test_duplicate_name_differing_in_case_is_refused_and_nothing_created(admin_user):
    services.create_group(name="Engineering", by=admin_user)
    with pytest.raises(InvalidGroup) as exc:
        services.create_group(name="  engineering ", by=admin_user)
    assert exc.value.errors == {
        "name": 'A group named "engineering" already exists (names ignore case).'
    }
    assert Group.objects.count() == 1


def test_renaming_onto_another_group_is_refused(admin_user):
    services.create_group(name="Sales", by=admin_user)
    ops = services.create_group(name="Ops", by=admin_user)
    with pytest.raises(InvalidGroup):
        services.update_group(ops, name="SALES", by=admin_user)
    ops.refresh_from_db()
    assert ops.name == "Ops"


def test_unknown_member_id_refuses_the_whole_add(admin_user):
    ada = PersonFactory(email="ada@example.com")
    group = services.create_group(name="Team", by=admin_user)
    with pytest.raises(UnknownMembers) as exc:
        services.add_members(group, [ada.pk, 999999], by=admin_user)
    assert exc.value.message == "No person has the id (or email) 999999. Nothing was changed."
    assert GroupMembership.objects.count() == 0
    assert not LifecycleEvent.objects.filter(action="joined_group").exists()


def test_adding_members_audits_each_person_and_bumps_the_version(admin_user):
    ada, bob = PersonFactory(email="ada@example.com"), PersonFactory(email="bob@example.com")
    group = services.create_group(name="Team", by=admin_user)
    change = services.add_members(group, [ada.pk, str(bob.pk), ada.pk], by=admin_user)
    assert sorted(change.added) == sorted([ada.pk, bob.pk])
    assert member_emails(group) == ["ada@example.com", "bob@example.com"]
    events = LifecycleEvent.objects.filter(action="joined_group").order_by("person_id")
    assert [(e.person_id, e.changes, e.actor_id) for e in events] == [
        (ada.pk, {"group": [None, "Team"]}, admin_user.pk),
        (bob.pk, {"group": [None, "Team"]}, admin_user.pk),
    ]
    group.refresh_from_db()
    assert group.version == 2
    # Adding them again changes nothing.
    assert not services.add_members(group, [ada.pk], by=admin_user)
    group.refresh_from_db()
    assert group.version == 2


def test_a_deactivated_person_may_be_added_to_a_static_group(admin_user):
    gone = PersonFactory(status=Person.Status.DEACTIVATED)
    group = services.create_group(name="Alumni", by=admin_user)
    services.add_members(group, [gone.pk], by=admin_user)
    assert list(group.members.all()) == [gone]


def test_removing_someone_not_in_the_group_is_not_an_error(admin_user):
    ada = PersonFactory()
    group = services.create_group(name="Team", by=admin_user, member_ids=[ada.pk])
    change = services.remove_members(group, [PersonFactory().pk, 424242], by=admin_user)
    assert not change
    assert list(group.members.all()) == [ada]


def test_set_members_replaces_the_whole_list(admin_user):
    ada, bob, cy = PersonFactory(), PersonFactory(), PersonFactory()
    group = services.create_group(name="Team", by=admin_user, member_ids=[ada.pk, bob.pk])
    change = services.set_members(group, [bob.pk, cy.pk], by=admin_user)
    assert (change.added, change.removed) == ([cy.pk], [ada.pk])
    assert set(group.members.all()) == {bob, cy}


def test_rule_on_unknown_attribute_is_refused_and_nothing_created(admin_user):
    rule = {"match": "all", "conditions": [{"attribute": "shoe_size", "value": "42"}]}
    with pytest.raises(InvalidRule) as exc:
        services.create_group(name="Big feet", kind="rule", rule=rule, by=admin_user)
    assert exc.value.message.startswith("Unknown attribute 'shoe_size': rules can test ")
    assert Group.objects.count() == 0


def test_rule_based_group_gets_matching_people_at_once(admin_user):
    PersonFactory(email="eng@example.com", department="Engineering")
    PersonFactory(email="sales@example.com", department="Sales")
    group = services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    assert member_emails(group) == ["eng@example.com"]


def test_rule_based_group_refuses_hand_edits(admin_user):
    group = services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    with pytest.raises(MembersAreComputed):
        services.add_members(group, [PersonFactory().pk], by=admin_user)


def test_and_or_rules_combine(admin_user):
    Person.objects.update(job_title="Clerk")
    PersonFactory(
        email="a@example.com", department="Engineering", location="Paris", job_title="Engineer"
    )
    PersonFactory(
        email="b@example.com", department="Engineering", location="London", job_title="Engineer"
    )
    PersonFactory(
        email="c@example.com",
        department="Sales",
        location="Berlin",
        job_title="Chief Technology Officer",
    )
    rule = {
        "match": "any",
        "conditions": [
            {
                "match": "all",
                "conditions": [
                    {"attribute": "department", "operator": "is", "value": "engineering"},
                    {"attribute": "location", "operator": "is_not", "value": "London"},
                ],
            },
            {"attribute": "job_title", "operator": "contains", "value": "chief"},
        ],
    }
    group = services.create_group(name="Mix", kind="rule", rule=rule, by=admin_user)
    assert member_emails(group) == ["a@example.com", "c@example.com"]


def test_reporting_line_rule_takes_the_whole_chain(admin_user):
    boss = PersonFactory(email="boss@example.com")
    mid = PersonFactory(email="mid@example.com", manager=boss)
    PersonFactory(email="low@example.com", manager=mid)
    PersonFactory(email="other@example.com")
    rule = {"conditions": [{"attribute": "reports_to", "value": boss.pk}]}
    group = services.create_group(name="Boss org", kind="rule", rule=rule, by=admin_user)
    assert member_emails(group) == ["low@example.com", "mid@example.com"]


def test_changing_department_moves_people_between_rule_groups(admin_user):
    ada = PersonFactory(email="ada@example.com", department="Sales")
    eng = services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    assert member_emails(eng) == []
    people.update_person(ada, department="Engineering", by=admin_user)
    assert recompute_groups_task([ada.pk]) == 1
    assert member_emails(eng) == ["ada@example.com"]
    event = LifecycleEvent.objects.get(action="joined_group")
    assert (event.person_id, event.actor_label) == (ada.pk, "Group rules")
    people.update_person(ada, department="Finance", by=admin_user)
    recompute_groups_task([ada.pk])
    assert member_emails(eng) == []
    # A second recompute finds nothing to do.
    assert recompute_groups_task(None) == 0


def test_person_change_queues_a_recompute_after_commit(
    admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    from accounts.groups import tasks

    queued = []
    monkeypatch.setattr(tasks.recompute_groups_task, "delay", lambda ids: queued.append(ids))
    services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)
    ada = PersonFactory(department="Sales")
    with django_capture_on_commit_callbacks(execute=True):
        people.update_person(ada, department="Engineering", by=admin_user)
    assert queued == [[ada.pk]]


def test_group_writes_publish_after_commit(admin_user, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, *, group_ids, action, **kwargs):
        seen.append((group_ids, action))

    groups_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            group = services.create_group(name="Team", by=admin_user)
        with django_capture_on_commit_callbacks(execute=True):
            services.delete_group(group, by=admin_user)
    finally:
        groups_changed.disconnect(receiver)
    assert seen == [([group.pk], "created"), ([group.pk], "deleted")]


def test_group_creation_and_deletion_are_audited(admin_user):
    group = services.create_group(name="Team", description="The team", by=admin_user)
    services.delete_group(group, by=admin_user)
    rows = list(
        LifecycleEvent.objects.filter(subject_kind="group")
        .order_by("id")
        .values_list("action", "subject", "changes")
    )
    assert rows == [
        (
            "created",
            "Group Team",
            {"name": [None, "Team"], "description": [None, "The team"], "kind": [None, "static"]},
        ),
        ("deleted", "Group Team", {"members": [0, 0]}),
    ]


def test_auditor_cannot_write_groups(auditor, admin_user):
    group = services.create_group(name="Team", by=admin_user)
    with pytest.raises(NotAllowed):
        services.create_group(name="Other", by=auditor)
    with pytest.raises(NotAllowed):
        services.add_members(group, [auditor.pk], by=auditor)
    with pytest.raises(NotAllowed):
        services.delete_group(group, by=auditor)
    assert Group.objects.count() == 1


def test_account_manager_manages_groups(account_manager):
    group = services.create_group(name="Team", by=account_manager)
    services.add_members(group, [account_manager.pk], by=account_manager)
    services.delete_group(group, by=account_manager)
    assert Group.objects.count() == 0


def test_system_actor_may_recompute(admin_user):
    assert services.recompute_groups(by=SYSTEM) == {}


RULES = [
    {"conditions": [{"attribute": "department", "operator": "is", "value": "engineering"}]},
    {"conditions": [{"attribute": "department", "operator": "is_not", "value": "Sales"}]},
    {"conditions": [{"attribute": "location", "operator": "in", "value": ["paris", "Berlin"]}]},
    {"conditions": [{"attribute": "job_title", "operator": "contains", "value": "ENG"}]},
    {"conditions": [{"attribute": "status", "operator": "in", "value": ["active", "staged"]}]},
    {"conditions": [{"attribute": "status", "operator": "is_not", "value": "deactivated"}]},
    {
        "match": "any",
        "conditions": [
            {"attribute": "department", "operator": "is", "value": "Sales"},
            {
                "match": "all",
                "conditions": [
                    {"attribute": "location", "operator": "is", "value": "London"},
                    {"attribute": "job_title", "operator": "is_not", "value": "Engineer"},
                ],
            },
        ],
    },
]


@pytest.mark.parametrize("rule", RULES)
def test_in_memory_matching_agrees_with_the_query(rule, admin_user):
    from accounts.groups import rules

    boss = PersonFactory(job_title="Engineer")
    for i in range(12):
        PersonFactory(
            job_title=["Engineer", "Sales lead", "", "engineering manager"][i % 4],
            status=[Person.Status.ACTIVE, Person.Status.STAGED, Person.Status.DEACTIVATED][i % 3],
            manager=boss if i % 2 else None,
        )
    clean = rules.validate_rule(rule)
    by_query = set(Person.objects.filter(rules.rule_q(clean)).values_list("pk", flat=True))
    people = Person.objects.values(*rules.MATCH_FIELDS)
    by_memory = {p["pk"] for p in people if rules.matches(clean, p)}
    assert by_memory == by_query
    manager_rule = rules.validate_rule({"conditions": [{"attribute": "manager", "value": boss.pk}]})
    assert {p["pk"] for p in people if rules.matches(manager_rule, p)} == set(
        Person.objects.filter(rules.rule_q(manager_rule)).values_list("pk", flat=True)
    )
