"""Read-only roles trigger no work on SCIM targets: no run, no task, no request."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from accounts.exceptions import NotAllowed
from provisioning.scim import services
from provisioning.scim.models import ScimRun, ScimTarget

pytestmark = pytest.mark.django_db

SCIM_BUTTONS = ["dry-run", "reconcile", "test"]


@pytest.fixture
def target(make_target, proxy):
    # Through the recording proxy to a real scim2-server: every request it
    # would have sent shows up in proxy.seen.
    t = make_target(proxy.url(f"r{uuid.uuid4().hex[:10]}"), token="s3cret-token")
    ScimTarget.objects.filter(pk=t.pk).update(is_enabled=True)
    t.refresh_from_db()
    return t


def button(target: ScimTarget, name: str) -> str:
    return (
        reverse("admin:provisioning_scimtarget_change", args=[target.pk]).removesuffix("change/")
        + f"{name}/"
    )


def test_auditor_sees_no_dry_run_reconcile_or_test_on_a_scim_target(client, auditor, target):
    client.force_login(auditor)
    page = client.get(reverse("admin:provisioning_scimtarget_change", args=[target.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for name in SCIM_BUTTONS:
        assert button(target, name) not in html
    listing = client.get(reverse("admin:provisioning_scimtarget_changelist")).content.decode()
    assert 'value="dry_run_selected"' not in listing


@pytest.mark.parametrize("name", SCIM_BUTTONS)
def test_auditor_is_refused_scim_buttons_and_nothing_is_queued_or_sent(
    client, auditor, target, proxy, name, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert client.get(button(target, name)).status_code == 403
        assert client.post(button(target, name), {"confirm": "yes"}).status_code == 403
    assert queued == []
    assert not ScimRun.objects.exists()
    assert proxy.seen == []


def test_auditor_dry_run_selected_action_does_nothing(
    client, auditor, target, proxy, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.post(
            reverse("admin:provisioning_scimtarget_changelist"),
            {"action": "dry_run_selected", "_selected_action": [str(target.pk)]},
        )
    assert queued == []
    assert not ScimRun.objects.exists()


@pytest.mark.parametrize("call", ["dry_run", "start_reconcile", "run_reconcile_now"])
def test_services_refuse_auditors_before_anything_runs(auditor, target, proxy, call):
    with pytest.raises(NotAllowed):
        getattr(services, call)(target, by=auditor)
    assert not ScimRun.objects.exists()
    assert proxy.seen == []
