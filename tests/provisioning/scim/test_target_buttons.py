"""The SCIM target page offers the buttons that apply to the target's state."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.scim import services
from provisioning.scim.models import ScimTarget

pytestmark = pytest.mark.django_db


def change_url(target: ScimTarget) -> str:
    return reverse("admin:provisioning_scimtarget_change", args=[target.pk])


def button(target: ScimTarget, name: str) -> str:
    return reverse(f"admin:provisioning_scimtarget_{name}_detail", args=[target.pk])


def offered(client, target: ScimTarget) -> set[str]:
    html = client.get(change_url(target)).content.decode()
    return {n for n in ("enable", "pause", "resume") if f'href="{button(target, n)}"' in html}


def test_a_running_target_offers_pause_and_a_paused_one_resume(admin_client, admin_user):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    assert offered(admin_client, target) == {"enable", "pause"}
    ScimTarget.objects.filter(pk=target.pk).update(is_enabled=True)
    assert offered(admin_client, target) == {"pause"}
    services.pause_target(target, by=admin_user)
    assert offered(admin_client, target) == {"resume"}


def test_resume_reached_by_url_on_a_running_target_says_so_and_changes_nothing(
    admin_client, admin_user
):
    target = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    response = admin_client.post(button(target, "resume"), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(change_url(target), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Zoom is not paused."]
    target.refresh_from_db()
    assert (target.state, target.state_reason) == ("healthy", "")


def test_pausing_selected_targets_skips_those_already_paused(admin_client, admin_user):
    zoom = services.create_target(name="Zoom", base_url="https://zoom.example/v2", by=admin_user)
    slack = services.create_target(name="Slack", base_url="https://slack.example/v2", by=admin_user)
    services.pause_target(slack, by=admin_user, reason="Maintenance")
    response = admin_client.post(
        reverse("admin:provisioning_scimtarget_changelist"),
        {"action": "pause_selected", "_selected_action": [zoom.pk, slack.pk]},
        follow=True,
    )
    shown = sorted(str(m) for m in response.context["messages"])
    assert shown == ["Slack is already paused.", "Zoom: Paused; changes wait until it is resumed."]
    slack.refresh_from_db()
    assert slack.state_reason == "Maintenance"
