"""Over the API, read-only roles start nothing that reaches a target or a directory."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.scim.models import ScimRun, ScimTarget

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_auditor_cannot_sync_a_scim_target(api_auditor, django_capture_on_commit_callbacks):
    target = ScimTarget.objects.create(name="Apps", base_url="http://127.0.0.1:9/scim/v2")
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api_auditor.post(
            reverse("api:scim-target-sync", kwargs={"target_id": target.pk}), {}, format="json"
        )

    assert response.status_code == 403
    assert queued == []
    assert not ScimRun.objects.exists()


@pytest.mark.parametrize("body", [{"dry_run": True}, {}])
def test_auditor_cannot_preview_or_sync_an_identity_provider(
    api_auditor, body, django_capture_on_commit_callbacks
):
    source = IdentitySource.objects.create(
        name="Directory",
        kind=IdentitySource.Kind.ENTRA,
        connection={"tenant_id": "t", "client_id": "c", "authority_host": "https://127.0.0.1:9"},
    )

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api_auditor.post(
            reverse("api:source-sync", kwargs={"source_id": source.pk}), body, format="json"
        )

    assert response.status_code == 403
    assert queued == []
    assert not SyncRun.objects.exists()
