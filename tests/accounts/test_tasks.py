from __future__ import annotations

import pytest

from accounts.models import LifecycleEvent, Person
from accounts.tasks import deactivate_people_task
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_deactivate_people_task_deactivates_on_behalf_of_the_actor(admin_user):
    ada = PersonFactory(claimed=True)
    result = deactivate_people_task([ada.pk], admin_user.pk, "Left")
    assert result == {"done": [ada.pk], "skipped": []}
    ada.refresh_from_db()
    assert ada.status == Person.Status.DEACTIVATED
    event = LifecycleEvent.objects.get(person=ada, action="deactivated")
    assert (event.actor, event.reason) == (admin_user, "Left")


def test_deactivate_people_task_without_actor_acts_as_the_system():
    ada = PersonFactory(claimed=True)
    deactivate_people_task([ada.pk], None, "")
    event = LifecycleEvent.objects.get(person=ada, action="deactivated")
    assert (event.actor_kind, event.actor_label) == ("system", "System")


def test_redelivered_deactivation_changes_nothing_and_skips_deleted_people(admin_user):
    ada = PersonFactory(claimed=True)
    deactivate_people_task([ada.pk], admin_user.pk, "Left")
    ada.refresh_from_db()
    version = ada.version
    result = deactivate_people_task([ada.pk, 999_999], admin_user.pk, "Left")
    assert result == {"done": [], "skipped": [ada.pk]}
    ada.refresh_from_db()
    assert ada.version == version
    assert LifecycleEvent.objects.filter(person=ada, action="deactivated").count() == 1


def test_deactivation_by_an_actor_without_the_right_changes_nothing(auditor):
    ada = PersonFactory(claimed=True)
    assert deactivate_people_task([ada.pk], auditor.pk, "") == {"done": [], "skipped": []}
    ada.refresh_from_db()
    assert ada.status == Person.Status.ACTIVE
    assert not LifecycleEvent.objects.filter(action="deactivated").exists()


def test_deactivation_by_a_deleted_actor_changes_nothing():
    ada = PersonFactory(claimed=True)
    assert deactivate_people_task([ada.pk], 999_999, "") == {"done": [], "skipped": []}
    ada.refresh_from_db()
    assert ada.status == Person.Status.ACTIVE
