"""Choosing a source's groups in the admin, and seeing them on its runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.exceptions import NotAllowed
from accounts.models import LifecycleEvent
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SyncRun
from tests.api.conftest import token_client, token_for
from tests.provisioning.idp.test_sync import connect_google

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def source(fake_google, admin_user):
    fake_google.book.add("g-eng", "Engineering", email="eng@example.com", users={1, 2})
    fake_google.book.add("g-sales", "Sales team", email="sales@example.com", users={3})
    fake_google.book.add("g-legal", "Legal", email="legal@example.com", users={4})
    return connect_google(fake_google, admin_user)


def url(source):
    return reverse("admin:provisioning_identitysource_groups_detail", args=[source.pk])


def test_the_page_lists_the_providers_groups_and_searches_them(admin_client, source):
    page = admin_client.get(url(source)).content.decode()
    found = admin_client.get(url(source), {"q": "SALES"}).content.decode()
    nothing = admin_client.get(url(source), {"q": "zzz"}).content.decode()

    assert all(name in page for name in ("Engineering", "Sales team", "Legal"))
    assert 'value="none" checked' in page
    assert "Sales team" in found and "Engineering" not in found
    assert "1 group match “SALES”" in found
    assert "No group matches “zzz”" in nothing


def test_saving_these_groups_stores_and_audits_the_choice(admin_client, source):
    response = admin_client.post(url(source), {"group_scope": "chosen", "group": ["g-sales"]})

    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.group_scope, source.group_keys) == ("chosen", ["g-sales"])
    event = LifecycleEvent.objects.filter(subject_kind="identity_provider").latest("pk")
    assert event.changes == {
        "group_scope": ["none", "chosen"],
        "group_keys": [[], ["g-sales"]],
    }
    page = admin_client.get(url(source), {"q": "eng"}).content.decode()
    # A chosen group the search hides is kept when the page is saved again.
    assert '<input type="hidden" name="group" value="g-sales">' in page
    change = admin_client.get(
        reverse("admin:provisioning_identitysource_change", args=[source.pk])
    ).content.decode()
    assert "These groups (1 chosen)" in change


def test_these_groups_without_a_tick_is_refused_and_changes_nothing(admin_client, source):
    response = admin_client.post(url(source), {"group_scope": "chosen"}, follow=True)

    assert "Tick at least one group" in response.content.decode()
    source.refresh_from_db()
    assert (source.group_scope, source.group_keys) == ("none", [])
    assert not LifecycleEvent.objects.filter(
        subject_kind="identity_provider", action="updated"
    ).exists()


@pytest.mark.parametrize("role", ["auditor", "account_manager"])
def test_other_roles_may_not_list_or_choose_groups(client, request, source, fake_google, role):
    client.force_login(request.getfixturevalue(role))
    calls = len(fake_google.calls)

    assert client.get(url(source)).status_code == 403
    assert client.post(url(source), {"group_scope": "all"}).status_code == 403

    source.refresh_from_db()
    assert source.group_scope == "none"
    assert len(fake_google.calls) == calls


def test_a_run_page_shows_the_group_changes_and_counts(admin_client, admin_user, source):
    source = idp_services.choose_groups(source, by=admin_user, scope="all")
    run = idp_services.run_sync(source, by=admin_user, dry_run=True)
    assert run.status == SyncRun.Status.DRY_RUN

    body = admin_client.get(
        reverse("admin:provisioning_syncrun_change", args=[run.pk])
    ).content.decode()

    assert "groups new" in body and "group members added" in body
    assert (
        "<td class='px-2 align-top'>create</td><td class='px-2 align-top'>Sales team</td>" in body
    )
    assert "1 joining, 0 leaving" in body
    assert source.group_scope == IdentitySource.GroupScope.ALL


def test_the_api_shows_the_group_scope_and_a_runs_group_figures(admin_user, source):
    source = idp_services.choose_groups(source, by=admin_user, scope="chosen", keys=["g-eng"])
    run = idp_services.run_sync(source, by=admin_user, dry_run=True)
    api = token_client(token_for(admin_user))

    shown = api.get(reverse("api:source-detail", args=[source.pk])).json()
    runs = api.get(reverse("api:sync-run-list", args=[source.pk])).json()["results"]

    assert (shown["group_scope"], shown["group_keys"]) == ("chosen", ["g-eng"])
    assert runs[0]["id"] == run.pk
    assert runs[0]["group_counts"]["groups_new"] == 1
    assert runs[0]["group_counts"]["group_members_added"] == 2
    assert runs[0]["group_changes"] == [
        {"action": "new", "name": "Engineering", "old_name": "", "joins": 2, "leaves": 0}
    ]


def test_a_read_only_role_may_not_choose_groups_through_the_service(auditor, source):
    with pytest.raises(NotAllowed):
        idp_services.choose_groups(source, by=auditor, scope="all")

    source.refresh_from_db()
    assert source.group_scope == "none"
