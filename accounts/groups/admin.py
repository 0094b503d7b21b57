"""The Groups admin: list, group page with members and rule preview, the person section.

Registered from AccountsConfig.ready. System administrators and Account
managers change groups; Auditors read them (accounts.roles).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.decorators import display

from accounts.actors import signed_in
from accounts.admin.base import ServiceAdmin
from accounts.admin_extensions import register_person_section
from accounts.exceptions import DomainError
from accounts.groups import rules, selectors, services
from accounts.groups.admin_forms import AddMembersForm, GroupForm, editor_rule
from accounts.models import Group, Person

MEMBERS_PER_PAGE = 50
PERSON_GROUPS_SHOWN = 50


@admin.register(Group)
class GroupAdmin(ServiceAdmin):
    form = GroupForm
    list_display = ("name", "kind", "source", "members_count", "external_id")
    list_filter = ("kind", "source")
    search_fields = ("name", "external_id")
    readonly_fields = ("source", "version")
    change_form_outer_after_template = "admin/accounts/group/members.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @display(description="Members", ordering="member_count")
    def members_count(self, obj: Group) -> int:
        return getattr(obj, "member_count", 0)

    def get_fieldsets(self, request: HttpRequest, obj: Group | None = None) -> list:
        rows = [f"{kind}_{i}" for i in range(5) for kind in ("attribute", "operator", "value")]
        fieldsets: list = [
            ("Group", {"fields": ["name", "description", "external_id", "kind"]}),
            (
                "Rule (rule-based groups)",
                {"fields": ["match", *rows, "rule_json"], "classes": ["rule-editor"]},
            ),
        ]
        if obj is not None:
            fieldsets.append(("Provenance", {"fields": ["source", "version"]}))
        return fieldsets

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/", wrap(self.preview_view), name="accounts_group_preview"
            ),
            path("preview/", wrap(self.preview_view), name="accounts_group_preview_new"),
            path(
                "<path:object_id>/members/add/",
                wrap(self.add_members_view),
                name="accounts_group_add_members",
            ),
            path(
                "<path:object_id>/members/remove/",
                wrap(self.remove_members_view),
                name="accounts_group_remove_members",
            ),
            *super().get_urls(),
        ]

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        services.delete_group(obj, by=signed_in(request))

    # --- the group page's members ------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        group = self.get_object(request, unquote(object_id))
        if group is not None:
            search = request.GET.get("q", "").strip()
            page = Paginator(selectors.list_members(group, search=search), MEMBERS_PER_PAGE)
            context.update(
                group=group,
                members_page=page.get_page(request.GET.get("page")),
                members_search=search,
                rule_words=rules.describe_rule(group.rule) if group.rule else "",
                can_edit_members=self.has_change_permission(request, group)
                and not group.members_come_from,
                add_form=AddMembersForm(),
            )
        return super().change_view(request, object_id, form_url, context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Group | None = None,
    ) -> HttpResponse:
        form = context["adminform"].form
        context["rule_editor"] = {
            "rule": editor_rule(form),
            "error": getattr(form, "rule_error", None),
            "attributes": [
                {"name": name, "label": a.label, "operators": list(a.operators)}
                for name, a in rules.attributes().items()
            ],
            "operators": rules.OPERATOR_LABELS,
            "maxDepth": rules.MAX_DEPTH,
            "maxConditions": rules.MAX_CONDITIONS,
        }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _group_or_404(self, request: HttpRequest, object_id: str, *, change: bool) -> Group:
        group = self.get_object(request, unquote(object_id))
        if group is None:
            raise Http404
        allowed = (
            self.has_change_permission(request, group)
            if change
            else (self.has_view_permission(request, group))
        )
        if not allowed:
            raise PermissionDenied
        return group

    def preview_view(self, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
        """Answer who a rule (POSTed as the form's rows) selects, as JSON."""
        group = self._group_or_404(request, object_id, change=False) if object_id else None
        if group is None and not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return JsonResponse({"error": "POST the form's rule rows."}, status=405)
        form = GroupForm(request.POST, instance=group or Group())
        form.is_valid()  # only the rows are read; name errors do not matter here
        try:
            preview = selectors.preview_rule(form.built_rule(), group=group)
        except DomainError as exc:
            # A rule being edited is often incomplete: that is an answer, not
            # a failed request (which browsers would log on every keystroke).
            path = list(getattr(exc, "path", ()))
            return JsonResponse({"error": exc.message, "path": path})

        def person(p: Person) -> dict[str, Any]:
            return {"id": p.pk, "name": p.display_name, "email": p.email}

        return JsonResponse(
            {
                "matching": preview.matching,
                "joining": preview.joining,
                "leaving": preview.leaving,
                "joining_sample": [person(p) for p in preview.joining_sample],
                "leaving_sample": [person(p) for p in preview.leaving_sample],
                "rule": rules.describe_rule(rules.validate_rule(form.built_rule())),
            }
        )

    def _confirm(
        self,
        request: HttpRequest,
        group: Group,
        *,
        title: str,
        people: list[Person],
        hidden: dict[str, Any],
        error: str = "",
    ) -> HttpResponse:
        return TemplateResponse(
            request,
            "admin/accounts/group/confirm_members.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "group": group,
                "people": people,
                "hidden": hidden,
                "error": error,
                "cancel_url": reverse("admin:accounts_group_change", args=[group.pk]),
            },
        )

    def add_members_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask to confirm adding the people typed, then add them."""
        group = self._group_or_404(request, object_id, change=True)
        back = reverse("admin:accounts_group_change", args=[group.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = AddMembersForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Type the emails or ids of the people to add.")
            return HttpResponseRedirect(back)
        ids = form.person_ids()
        if request.POST.get("confirm") != "yes":
            known = list(Person.objects.filter(pk__in=[i for i in ids if i.isdigit()]))
            unknown = [i for i in ids if not i.isdigit() or int(i) not in {p.pk for p in known}]
            return self._confirm(
                request,
                group,
                title=f"Add {len(known)} to {group.name}?",
                people=known,
                hidden={"people": "\n".join(ids)},
                error=f"Nobody in Roster matches: {', '.join(unknown)}." if unknown else "",
            )
        try:
            change = services.add_members(group, ids, by=signed_in(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        messages.success(request, f"Added {len(change.added)} to {group.name}.")
        return HttpResponseRedirect(back)

    def remove_members_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask to confirm removing the ticked members, then remove them."""
        group = self._group_or_404(request, object_id, change=True)
        back = reverse("admin:accounts_group_change", args=[group.pk])
        ids = request.POST.getlist("member") if request.method == "POST" else []
        if not ids:
            messages.warning(request, "Tick the members to remove first.")
            return HttpResponseRedirect(back)
        if request.POST.get("confirm") != "yes":
            people = list(
                selectors.list_members(group).filter(pk__in=[i for i in ids if i.isdigit()])
            )
            return self._confirm(
                request,
                group,
                title=f"Remove {len(people)} from {group.name}?",
                people=people,
                hidden={"member": [str(p.pk) for p in people]},
            )
        try:
            change = services.remove_members(group, ids, by=signed_in(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        messages.success(request, f"Removed {len(change.removed)} from {group.name}.")
        return HttpResponseRedirect(back)


def person_groups_context(request: HttpRequest, person: Person) -> dict[str, Any] | None:
    """The person page's Groups section (hidden from roles that cannot read groups)."""
    if not request.user.has_perm("accounts.view_group"):
        return None
    groups = list(selectors.list_groups_of(person)[: PERSON_GROUPS_SHOWN + 1])
    return {
        "groups": groups[:PERSON_GROUPS_SHOWN],
        "more": len(groups) > PERSON_GROUPS_SHOWN,
    }


register_person_section(
    "admin/accounts/group/person_section.html",
    person_groups_context,
    title="Groups",
    anchor="person-groups",
)
