"""What the dashboard asks of the administrator: attention items, health, first steps.

Each item says what waits, how many, and links to the page where it is
resolved; it is listed only when there is something to do and the viewer's
role may open that page. The figures come from ``accounts.insights``,
``accounts.selectors`` and ``provisioning.health``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accounts import insights, selectors
from accounts.models import Person
from accounts.roles import Role
from provisioning import health


@dataclass(frozen=True)
class Attention:
    """One thing waiting for someone, with the page that resolves it."""

    key: str
    title: str
    count: int
    url: str
    action: str


@dataclass(frozen=True)
class Step:
    """One step of the first-run checklist."""

    key: str
    title: str
    done: bool
    url: str


def _people_url(query: str) -> str:
    return f"{reverse('admin:accounts_person_changelist')}?{query}"


def attention_items(request: HttpRequest) -> list[Attention]:
    """Return what needs attention now, for ``request``'s viewer, most urgent first."""
    user = request.user
    items: list[Attention] = []
    if user.has_perm("provisioning.view_syncrun"):
        for run in health.list_runs_awaiting_approval():
            items.append(
                Attention(
                    key="guard",
                    title=(
                        f"A sync of {run.source.name} would deactivate "
                        f"{run.count_deactivated} people and waits for approval"
                    ),
                    count=run.count_deactivated,
                    url=reverse("admin:provisioning_syncrun_change", args=[run.pk]),
                    action="Review the sync",
                )
            )
    if user.has_perm("provisioning.view_scimtarget"):
        paused = health.count_paused_targets()
        if paused:
            items.append(
                Attention(
                    key="paused_targets",
                    title=f"{_n(paused, 'SCIM target is', 'SCIM targets are')} paused",
                    count=paused,
                    url=reverse("admin:provisioning_scimtarget_changelist"),
                    action="Open SCIM targets",
                )
            )
    if user.has_perm("accounts.view_person"):
        failed = insights.count_failed_deliveries()
        if failed:
            items.append(
                Attention(
                    key="failed_deliveries",
                    title=f"{_n(failed, 'invitation email', 'invitation emails')} failed",
                    count=failed,
                    url=_people_url("invitation_email=failed"),
                    action="See who and resend",
                )
            )
    if user.has_perm("provisioning.view_importjob"):
        ready = health.count_imports_awaiting_confirmation()
        if ready:
            items.append(
                Attention(
                    key="imports_ready",
                    title=f"{_n(ready, 'import waits', 'imports wait')} for confirmation",
                    count=ready,
                    url=reverse("admin:provisioning_importjob_changelist") + "?status__exact=ready",
                    action="Review the preview",
                )
            )
    if user.has_perm("accounts.view_person"):
        expiring = insights.count_invitations_expiring()
        if expiring:
            items.append(
                Attention(
                    key="expiring_invitations",
                    title=(
                        f"{_n(expiring, 'invitation expires', 'invitations expire')} "
                        f"within {insights.EXPIRING_WITHIN_DAYS} days, unclaimed"
                    ),
                    count=expiring,
                    url=_people_url("invitation_email=expiring"),
                    action="Send reminders",
                )
            )
    return items


def _n(count: int, one: str, many: str) -> str:
    return f"1 {one}" if count == 1 else f"{count:,} {many}"


def first_steps(request: HttpRequest) -> list[Step]:
    """Return the first-run checklist; empty once every step is done."""
    integrations = health.count_integrations()
    has_people = Person.objects.filter(role=Role.NONE).exists()
    steps = [
        Step(
            "domain",
            "Add your organisation's email domain",
            selectors.has_allowed_domains(),
            reverse("admin:accounts_alloweddomain_add"),
        ),
        Step(
            "people",
            "Add people, by hand or from a spreadsheet",
            has_people,
            reverse("admin:provisioning_importjob_add"),
        ),
        Step(
            "idp",
            "Connect an identity provider (Google Workspace or Microsoft Entra ID)",
            integrations["identity_providers"] > 0,
            reverse("admin:provisioning_identitysource_add"),
        ),
        Step(
            "scim",
            "Add a SCIM target to push people to another service",
            integrations["scim_targets"] > 0,
            reverse("admin:provisioning_scimtarget_add"),
        ),
    ]
    if all(step.done for step in steps) or not request.user.has_perm("accounts.change_role"):
        return []
    return steps


def integration_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the health table's rows the viewer may see, each with its page."""
    rows: list[dict[str, Any]] = []
    if request.user.has_perm("provisioning.view_identitysource"):
        for row in health.list_identity_provider_health():
            url = reverse("admin:provisioning_identitysource_change", args=[row.pk])
            rows.append({"row": row, "kind_label": "Identity provider", "url": url})
    if request.user.has_perm("provisioning.view_scimtarget"):
        for row in health.list_scim_target_health():
            url = reverse("admin:provisioning_scimtarget_change", args=[row.pk])
            rows.append({"row": row, "kind_label": "SCIM target", "url": url})
    return rows


def funnels() -> list[insights.Funnel]:
    return [insights.invitation_funnel(days=days) for days in insights.FUNNEL_WINDOWS]
