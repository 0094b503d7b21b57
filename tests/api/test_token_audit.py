"""Issuing and revoking API tokens is in the audit log, never the token."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import api_tokens
from accounts.models import ApiToken, LifecycleEvent

pytestmark = pytest.mark.django_db


def test_issue_and_revoke_are_audited_without_the_token(admin_client, admin_user, auditor):
    issued = api_tokens.issue_api_token(auditor, name="reports", by=admin_user)
    admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [issued.api_token.pk]},
    )

    created, revoked = LifecycleEvent.objects.filter(subject_kind="api_token").order_by("id")
    subject = f"API token reports of auditor@example.com (#{issued.api_token.pk})"
    assert (created.action, created.subject, created.actor_id) == (
        "created",
        subject,
        admin_user.pk,
    )
    assert created.changes == {
        "name": [None, "reports"],
        "person": [None, "auditor@example.com"],
        "token": "set",
    }
    assert (revoked.action, revoked.subject, revoked.actor_id) == (
        "token_revoked",
        subject,
        admin_user.pk,
    )
    assert ApiToken.objects.get().is_revoked
    stored = json.dumps(list(LifecycleEvent.objects.values()), default=str)
    assert issued.token not in stored
    assert issued.api_token.token_hash not in stored


def test_the_audit_api_filters_by_subject_kind(admin_user, api_admin):
    api_tokens.issue_api_token(admin_user, name="other", by=admin_user)

    response = api_admin.get(reverse("api:audit-event-list"), {"subject_kind": "api_token"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert {r["subject_kind"] for r in results} == {"api_token"}
    assert len(results) == 2  # the fixture's token and this one
