"""Groups a source brings in reach a real scim2-server with their members, and
follow the provider's changes there too."""

from __future__ import annotations

import pytest

from accounts.actors import CLI
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource
from provisioning.scim import services
from provisioning.scim.tasks import push_target_task, sync_target_task
from tests.provisioning.idp.test_sync import connect_google
from tests.provisioning.scim.conftest import (  # noqa: F401  (fixtures)
    make_target,
    scim_server,
    tenant,
)
from tests.provisioning.scim.test_group_push import remote_groups, remote_member_names

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_provider_groups_are_pushed_and_a_rename_and_a_leave_follow(
    fake_google,
    admin_user,
    make_target,  # noqa: F811
    tenant,  # noqa: F811
):
    fake_google.book.add("g-eng", "Engineering", users={1, 2})
    source = connect_google(fake_google, admin_user)
    source = idp_services.choose_groups(source, by=admin_user, scope=IdentitySource.GroupScope.ALL)
    preview = idp_services.run_sync(source, by=admin_user)
    idp_services.confirm_first_run(preview, by=admin_user)
    source.refresh_from_db()
    target = make_target(tenant, push_groups=True)
    sync_target_task(target.pk, services.enable_target(target, by=CLI).pk)
    push_target_task(target.pk)

    found = remote_groups(tenant)
    assert list(found) == ["Engineering"]
    assert remote_member_names(tenant, found["Engineering"]) == [
        "person000001@example.com",
        "person000002@example.com",
    ]

    fake_google.book.rename("g-eng", "Engineering team")
    fake_google.book.leave("g-eng", 1)
    idp_services.run_sync(source, by=admin_user)
    push_target_task(target.pk)

    found = remote_groups(tenant)
    assert list(found) == ["Engineering team"]
    assert remote_member_names(tenant, found["Engineering team"]) == ["person000002@example.com"]
