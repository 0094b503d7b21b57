"""The admin page where a System administrator chooses which of the provider's
groups a source brings in: no groups, all groups, or the groups ticked in the
provider's list (searchable by name or email). GET shows the list read from
the provider; POST saves the choice through ``idp_services.choose_groups``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from provisioning.idp import services as idp_services
from provisioning.idp.group_models import SourceGroup
from provisioning.idp.models import IdentitySource

TEMPLATE = "admin/provisioning/identitysource/groups.html"
# How many of the provider's groups one page lists; a search narrows it.
LISTED = 300


def choose_groups_view(admin: Any, request: HttpRequest, source: IdentitySource) -> HttpResponse:
    """Show the provider's groups to choose from, or save the choice (POST)."""
    change_url = reverse("admin:provisioning_identitysource_change", args=[source.pk])
    by = signed_in(request)
    if request.method == "POST":
        try:
            idp_services.choose_groups(
                source,
                by=by,
                scope=request.POST.get("group_scope", ""),
                keys=request.POST.getlist("group"),
            )
        except DomainError as exc:
            admin.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        admin.message_user(
            request,
            "Saved. The next run brings the chosen groups in (its preview lists them).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url)
    try:
        groups = idp_services.provider_groups(source, by=by)
    except DomainError as exc:
        admin.message_user(request, f"Could not list the groups: {exc.message}", messages.ERROR)
        return HttpResponseRedirect(change_url)
    query = (request.GET.get("q") or "").strip()
    folded = query.casefold()
    matching = [
        g
        for g in groups
        if not folded or folded in g.name.casefold() or folded in g.email.casefold()
    ]
    chosen = set(source.group_keys or ())
    shown = matching[:LISTED]
    context = {
        **admin.admin_site.each_context(request),
        "title": f"Groups from {source.name}",
        "opts": admin.opts,
        "source": source,
        "scopes": IdentitySource.GroupScope.choices,
        "rows": [(g, g.key in chosen) for g in shown],
        "hidden_chosen": sorted(chosen - {g.key for g in shown}),
        "query": query,
        "total": len(groups),
        "matching": len(matching),
        "more": len(matching) > LISTED,
        "listed": LISTED,
        "cancel_url": change_url,
    }
    return TemplateResponse(request, TEMPLATE, context)


def groups_panel(source: IdentitySource) -> str:
    """The source page's summary of its group scope and the groups it brought in."""
    linked = list(
        SourceGroup.objects.filter(source=source)
        .select_related("group")
        .order_by("group__name")
        .values_list("group__pk", "group__name")[:50]
    )
    count = SourceGroup.objects.filter(source=source).count()
    scope = source.get_group_scope_display()
    if source.group_scope == IdentitySource.GroupScope.CHOSEN:
        scope = f"{scope} ({len(source.group_keys)} chosen)"
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a></li>',
        ((reverse("admin:accounts_group_change", args=[pk]), name) for pk, name in linked),
    )
    return format_html(
        "<p><strong>{}</strong>. Brought into Roster: {}.</p><ul>{}</ul><p>"
        "Use <em>Choose groups</em> above to change which groups come in.</p>",
        scope,
        count,
        items,
    )
