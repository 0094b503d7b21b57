"""Setting the members of many groups at once (what an identity-provider run does)."""

from __future__ import annotations

import pytest

from accounts.exceptions import NotAllowed
from accounts.groups import services
from accounts.groups.exceptions import MembersAreComputed
from accounts.groups.sourced import set_members_of_groups
from accounts.models import GroupMembership, LifecycleEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ENGINEERING = {
    "match": "all",
    "conditions": [{"attribute": "department", "operator": "is", "value": "Engineering"}],
}


def test_joins_and_leaves_of_several_groups_are_written_audited_and_versioned(admin_user):
    ada, bob, cy = PersonFactory(), PersonFactory(), PersonFactory()
    one = services.create_group(name="One", member_ids=[ada.pk, bob.pk], by=admin_user)
    two = services.create_group(name="Two", by=admin_user)
    same = services.create_group(name="Same", member_ids=[cy.pk], by=admin_user)
    versions = {g.pk: g.version for g in (one, two, same)}

    changes = set_members_of_groups(
        {one.pk: [bob.pk, cy.pk], two.pk: [ada.pk], same.pk: [cy.pk]}, by=admin_user
    )

    assert {pk: (c.added, c.removed) for pk, c in changes.items()} == {
        one.pk: ([cy.pk], [ada.pk]),
        two.pk: ([ada.pk], []),
    }
    assert set(GroupMembership.objects.values_list("group__name", "person_id")) == {
        ("One", bob.pk),
        ("One", cy.pk),
        ("Two", ada.pk),
        ("Same", cy.pk),
    }
    left = LifecycleEvent.objects.get(person=ada, action="left_group")
    assert left.changes == {"group": ["One", None]}
    for group in (one, two, same):
        group.refresh_from_db()
    assert (one.version, two.version, same.version) == (
        versions[one.pk] + 1,
        versions[two.pk] + 1,
        versions[same.pk],
    )


def test_a_rule_based_group_is_refused_and_nothing_changes(admin_user):
    ada = PersonFactory(department="Sales")
    static = services.create_group(name="Static", by=admin_user)
    rule = services.create_group(name="Eng", kind="rule", rule=ENGINEERING, by=admin_user)

    with pytest.raises(MembersAreComputed):
        set_members_of_groups({static.pk: [ada.pk], rule.pk: [ada.pk]}, by=admin_user)

    assert not GroupMembership.objects.exists()


def test_an_auditor_may_not_set_members(auditor, admin_user):
    group = services.create_group(name="Static", by=admin_user)

    with pytest.raises(NotAllowed):
        set_members_of_groups({group.pk: [auditor.pk]}, by=auditor)

    assert not GroupMembership.objects.exists()
