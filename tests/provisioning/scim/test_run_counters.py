"""SCIM run progress: the total is known up front, done never passes it, dry runs count too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services as people
from accounts.actors import SYSTEM
from provisioning.scim import mapping, push, services
from provisioning.scim.models import ScimRun
from provisioning.scim.push.runs import changes_run_id
from tests.factories import PersonFactory
from tests.provisioning.scim.conftest import raw_client
from tests.provisioning.scim.test_push import enable

pytestmark = pytest.mark.django_db


def progress(run: ScimRun) -> str:
    run.refresh_from_db()
    return f"{run.done}/{run.total} ({run.progress}%)"


def test_changes_run_knows_its_total_before_pushing(make_target, tenant, actor):
    staff = [PersonFactory(email=f"p{n}@example.com") for n in range(3)]
    target = make_target(tenant)
    enable(target, actor)
    for person in staff:
        people.update_person(person, job_title="Engineer", by=SYSTEM)

    run_id = changes_run_id(target)
    run = ScimRun.objects.get(pk=run_id)
    assert (run.kind, run.total, run.done) == ("changes", 3, 0)

    with raw_client(tenant) as client:
        push.push_pending(target.pk, client=client)
    assert progress(run) == "3/3 (100%)"
    assert run.updated == 3

    # A later change joins the same run: what is done stays done.
    people.update_person(staff[0], job_title="Lead", by=SYSTEM)
    with raw_client(tenant) as client:
        push.push_pending(target.pk, client=client)
    assert progress(run) == "4/4 (100%)"


def test_full_sync_that_adopts_remote_users_never_counts_past_its_total(make_target, tenant, actor):
    PersonFactory(email="ada@example.com", job_title="Engineer")
    PersonFactory(email="bob@example.com")
    with raw_client(tenant) as c:
        c.create_user({"schemas": [mapping.USER_SCHEMA], "userName": "ada@example.com"})
    target = make_target(tenant)

    run = enable(target, actor)

    assert (run.adopted, run.created, run.updated) == (1, 1, 1)
    assert progress(run) == "3/3 (100%)"
    assert run.status == ScimRun.Status.FINISHED


def test_dry_run_counts_what_it_would_do_and_is_titled_with_the_target_name(
    make_target, tenant, actor, admin_client
):
    ada = PersonFactory(email="ada@example.com")
    bob = PersonFactory(email="bob@example.com")
    target = make_target(tenant, name="Slack workspace")
    enable(target, actor)
    PersonFactory(email="cy@example.com")
    people.update_person(ada, job_title="Engineer", by=SYSTEM)
    people.deactivate_person(bob, by=SYSTEM)

    run = services.dry_run(target, by=actor)

    assert (run.created, run.updated, run.deactivated) == (1, 1, 1)
    assert progress(run) == "3/3 (100%)"
    assert run.requests == 4  # cy is looked up before being created
    page = admin_client.get(reverse("admin:provisioning_scimrun_change", args=[run.pk]))
    html = page.content.decode()
    assert "Dry run of Slack workspace at" in html
    assert f"Dry run of {target.pk} at" not in html
    assert "3/3 (100%)" in html
