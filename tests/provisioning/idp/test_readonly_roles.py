"""Read-only roles trigger no calls to identity providers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.idp.models import SyncRun
from tests.provisioning.idp.test_sync import connect_google

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["test", "dry_run", "sync"])
def test_auditor_is_refused_identity_provider_test_and_preview(
    client, auditor, admin_user, fake_google, name, django_capture_on_commit_callbacks
):
    source = connect_google(fake_google, admin_user)
    calls_before = list(fake_google.calls)
    client.force_login(auditor)
    page = client.get(reverse("admin:provisioning_identitysource_change", args=[source.pk]))
    url = reverse(f"admin:provisioning_identitysource_{name}_detail", args=[source.pk])
    assert url not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert client.post(url, {"confirm": "yes"}).status_code == 403
    assert queued == []
    assert SyncRun.objects.count() == 0
    assert fake_google.calls == calls_before
