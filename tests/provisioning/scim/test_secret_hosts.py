"""A stored SCIM secret never follows a URL to another host without being entered again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.scim import services
from provisioning.scim.exceptions import InvalidTarget
from provisioning.scim.models import ScimTarget
from provisioning.secrets import decrypt

pytestmark = pytest.mark.django_db

MOVED = "The base URL now points at another host: enter the bearer token again, or the stored one would be sent there."  # noqa: E501


def form(target: ScimTarget, **changes: str) -> dict[str, str]:
    data = {
        "name": target.name,
        "base_url": target.base_url,
        "auth_method": target.auth_method,
        "token": "",
        "oauth_token_url": target.oauth_token_url,
        "oauth_client_id": target.oauth_client_id,
        "oauth_client_secret": "",
        "oauth_scope": "",
        "scope_departments": "",
        "scope_locations": "",
        "deactivation": target.deactivation,
        "rate_limit": str(target.rate_limit),
        "pause_after_failures": str(target.pause_after_failures),
        "attribute_mapping": "{}",
    }
    data.update(changes)
    return data


@pytest.fixture
def target(admin_user) -> ScimTarget:
    return services.create_target(
        name="Slack", base_url="https://slack.example/scim/v2", token="xoxp-secret", by=admin_user
    )


def change(admin_client, target: ScimTarget, **changes: str):
    url = reverse("admin:provisioning_scimtarget_change", args=[target.pk])
    return admin_client.post(url, form(target, **changes))


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/scim/v2",
        "http://slack.example/scim/v2",
        "https://slack.example:8443/scim/v2",
    ],
)
def test_moving_the_base_url_to_another_host_without_the_token_is_refused(
    admin_client, target, url
):
    before = ScimTarget.objects.values().get(pk=target.pk)

    response = change(admin_client, target, base_url=url, rate_limit="5")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"token": [MOVED]}
    assert ScimTarget.objects.values().get(pk=target.pk) == before


def test_moving_the_base_url_with_the_token_entered_again_saves(admin_client, target):
    response = change(
        admin_client, target, base_url="https://new.example/scim/v2", token="new-token"
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.base_url == "https://new.example/scim/v2"
    assert decrypt(target.token_encrypted) == "new-token"


def test_a_new_path_on_the_same_host_keeps_the_token(admin_client, target):
    response = change(admin_client, target, base_url="https://SLACK.example:443/v3/scim")

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.base_url == "https://SLACK.example:443/v3/scim"
    assert decrypt(target.token_encrypted) == "xoxp-secret"


def test_oauth_client_secret_must_follow_a_token_url_or_base_url_move(admin_user):
    target = services.create_target(
        name="Zoom",
        base_url="https://zoom.example/scim",
        auth_method="oauth2",
        oauth_token_url="https://login.zoom.example/token",
        oauth_client_id="roster",
        oauth_client_secret="s3cret",
        by=admin_user,
    )

    for moved in (
        {"oauth_token_url": "https://evil.example/token"},
        {"base_url": "https://evil.example/scim"},
    ):
        with pytest.raises(InvalidTarget) as refused:
            services.update_target(target, by=admin_user, **moved)
        assert list(refused.value.errors) == ["oauth_client_secret"]
    target.refresh_from_db()
    assert (target.base_url, target.oauth_token_url) == (
        "https://zoom.example/scim",
        "https://login.zoom.example/token",
    )

    services.update_target(
        target,
        by=admin_user,
        oauth_token_url="https://login2.zoom.example/token",
        oauth_client_secret="n3w",
    )
    target.refresh_from_db()
    assert decrypt(target.oauth_client_secret_encrypted) == "n3w"


def test_an_unused_token_of_the_old_host_is_forgotten(admin_user, target):
    services.update_target(
        target,
        by=admin_user,
        auth_method="oauth2",
        base_url="https://other.example/scim",
        oauth_token_url="https://other.example/token",
        oauth_client_secret="s3cret",
    )

    target.refresh_from_db()
    assert target.token_encrypted == ""
    assert decrypt(target.oauth_client_secret_encrypted) == "s3cret"
