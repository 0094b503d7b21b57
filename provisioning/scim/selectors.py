"""Reads about SCIM targets, links and runs for the admin, commands and other apps."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from provisioning.scim.models import ScimLink, ScimRun, ScimTarget
from provisioning.scim.push import pending_links


def list_targets() -> QuerySet[ScimTarget]:
    return ScimTarget.objects.order_by("name")


def find_target(name_or_id: str) -> ScimTarget | None:
    """Return the target with this name (any case) or numeric id, or None."""
    target = ScimTarget.objects.filter(name__iexact=name_or_id).first()
    if target is None and str(name_or_id).isdigit():
        target = ScimTarget.objects.filter(pk=int(name_or_id)).first()
    return target


def list_links_for_person(person_id: int) -> QuerySet[ScimLink]:
    """Return a person's link on every target: remote id, last push, last error."""
    return (
        ScimLink.objects.filter(person_ref=person_id)
        .select_related("target")
        .order_by("target__name")
    )


def list_failed_links(target: ScimTarget) -> QuerySet[ScimLink]:
    """Return links whose last attempt failed, newest problems first, with the person."""
    return (
        ScimLink.objects.filter(target=target)
        .exclude(last_error="")
        .select_related("person")
        .order_by("-next_attempt_at", "person_ref")
    )


def list_runs(target: ScimTarget) -> QuerySet[ScimRun]:
    return ScimRun.objects.filter(target=target).order_by("-started_at", "-id")


def count_link_states(target: ScimTarget) -> dict[str, int]:
    """Return {"in_sync", "pending", "failed"} counts for a target's people."""
    links = ScimLink.objects.filter(target=target)
    failed = links.filter(
        Q(failed_version__isnull=False, failed_version=F("person__version"))
        | Q(next_attempt_at__gt=timezone.now())
    ).count()
    pending = pending_links(target).count()
    total = links.filter(person__isnull=False).count()
    failed_only = links.filter(
        failed_version__isnull=False, failed_version=F("person__version")
    ).count()
    return {
        "in_sync": max(0, total - pending - failed_only),
        "pending": max(0, pending - (failed - failed_only)),
        "failed": failed,
    }
