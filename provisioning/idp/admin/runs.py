"""The admin for identity-provider sync runs: what a run found and changed, and the
decisions on a run held back (Confirm first run, Approve, Reject), each a
confirmation page on GET and one service call on POST."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from accounts.actors import signed_in
from accounts.admin_tables import table
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError
from provisioning.idp import services as idp_services
from provisioning.idp.admin.common import SHOWN, TEMPLATE
from provisioning.idp.models import IdentitySource, SyncRun
from provisioning.imports import selectors


class InviteForm(UnfoldWidgetsMixin, forms.Form):
    invite_mode = forms.ChoiceField(
        choices=IdentitySource.InviteMode.choices,
        initial=IdentitySource.InviteMode.NONE,
        widget=forms.RadioSelect,
    )
    invite_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


@admin.register(SyncRun)
class SyncRunAdmin(ModelAdmin):
    list_display = ("__str__", "source", "status", "trigger", "started_at", "took", "summary")
    list_filter = ("status", "trigger", "source")
    list_select_related = ("source",)
    actions_detail = ("confirm_detail", "approve_detail", "reject_detail")
    fields = (
        "source",
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "summary_panel",
        "preview_panel",
        "groups_panel",
        "group_warnings_panel",
        "linked_panel",
        "conflicts_panel",
        "errors_panel",
        "warnings_panel",
        "decided_by",
        "decided_at",
        "invite_note",
        "error_message",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description="Took")
    def took(self, obj: SyncRun) -> str:
        return f"{obj.duration:.1f} s" if obj.duration is not None else "-"

    @display(description="Counts")
    def summary(self, obj: SyncRun) -> str:
        counts = obj.counts | obj.group_counts
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if v)

    @display(description="Counts")
    def summary_panel(self, obj: SyncRun) -> str:
        rows: list[tuple[str, int | str]] = [
            (k.replace("_", " "), v) for k, v in obj.counts.items()
        ]
        rows.append(("deactivation limit", obj.deactivation_threshold))
        rows.append(("read", "changes only" if obj.is_incremental else "everything"))
        rows += [(k.replace("_", " "), v) for k, v in obj.group_counts.items()]
        return table(["", "People and groups"], rows)

    @display(description="Groups (changes)")
    def groups_panel(self, obj: SyncRun) -> str:
        labels = {
            "new": "create",
            "rename": "rename",
            "update": "new description",
            "members": "members",
            "delete": "delete",
        }
        rows = [
            (
                labels.get(c["action"], c["action"]),
                c["name"],
                f"{c['old_name']} → {c['name']}" if c.get("old_name") else "",
                f"{c['joins']} joining, {c['leaves']} leaving",
            )
            for c in obj.group_changes
        ]
        if not rows:
            return "No group changes."
        return table(["Change", "Group", "Rename", "Members"], rows)

    @display(description="Group warnings")
    def group_warnings_panel(self, obj: SyncRun) -> str:
        return table(
            ["Group", "Warning"], [(w["group"], w["message"]) for w in obj.group_warnings[:SHOWN]]
        )

    @display(description="Preview (first rows of each kind)")
    def preview_panel(self, obj: SyncRun) -> str:
        job = obj.job
        if job is None:
            return "-"
        rows = []
        for kind in ("new", "update", "deactivate", "reactivate", "error"):
            for n, entry in enumerate(selectors.iter_import_rows(job, [kind])):
                if n >= SHOWN:
                    break
                changes = entry.get("changes") or {}
                detail = "; ".join(
                    f"{field}: {old or '—'} → {new or '—'}" for field, (old, new) in changes.items()
                ) or "; ".join(e["message"] for e in entry.get("errors", []))
                left_empty = "; ".join(w["message"] for w in entry.get("warnings", []))
                if left_empty:
                    detail = f"{detail} (warning: {left_empty})" if detail else left_empty
                rows.append((kind, entry.get("email", ""), detail))
        return table(["Change", "Email", "Detail"], rows)

    @display(description="Already in Roster: linked, not duplicated")
    def linked_panel(self, obj: SyncRun) -> str:
        return table(["Email", "Came from"], [(e["email"], e["from"]) for e in obj.linked[:SHOWN]])

    @display(description="Held by another source (left alone)")
    def conflicts_panel(self, obj: SyncRun) -> str:
        return table(
            ["Email", "Source"], [(e["email"], e["source"]) for e in obj.conflicts[:SHOWN]]
        )

    @display(description="Errors")
    def errors_panel(self, obj: SyncRun) -> str:
        return table(["Email", "Problem"], [(e["email"], e["message"]) for e in obj.errors[:SHOWN]])

    @display(description="Warnings: imported, with these attributes left empty")
    def warnings_panel(self, obj: SyncRun) -> str:
        return table(
            ["Email", "Left empty, and why"],
            [(e["email"], "; ".join(e["messages"])) for e in obj.warnings[:SHOWN]],
        )

    def _decide(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if not request.user.has_perm("provisioning.change_identitysource"):
            raise PermissionDenied
        run = self.get_object(request, unquote(object_id))
        if run is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        url = reverse("admin:provisioning_syncrun_change", args=[run.pk])
        titles = {"confirm": "Confirm and import", "approve": "Approve", "reject": "Reject"}
        invite_form = InviteForm(request.POST or None) if name == "confirm" else None
        posted = request.method == "POST" and request.POST.get("confirm") == "yes"
        if not posted or (invite_form is not None and not invite_form.is_valid()):
            affected = list(idp_services.deactivations_of(run))
            context = {
                **self.admin_site.each_context(request),
                "title": f"{titles[name]}: run #{run.pk} of {run.source.name}?",
                "opts": self.opts,
                "question": f"{titles[name]} run #{run.pk} of {run.source}: {self.summary(run)}.",
                "button": titles[name],
                "cancel_url": url,
                "invite_form": invite_form,
                "affected": affected[:200],
                "affected_total": len(affected),
                "affected_more": len(affected) > 200,
            }
            return TemplateResponse(request, TEMPLATE, context)
        try:
            if name == "confirm":
                assert invite_form is not None
                run = idp_services.confirm_first_run(
                    run,
                    by=signed_in(request),
                    invite_mode=invite_form.cleaned_data["invite_mode"],
                    invite_at=invite_form.cleaned_data.get("invite_at"),
                )
            elif name == "approve":
                run = idp_services.approve_run(run, by=signed_in(request))
            else:
                run = idp_services.reject_run(run, by=signed_in(request))
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(url)
        level = messages.ERROR if run.status == SyncRun.Status.FAILED else messages.SUCCESS
        self.message_user(request, f"Run #{run.pk}: {run.get_status_display()}.", level)
        return HttpResponseRedirect(url)

    @action(description="Confirm first run", url_path="confirm", permissions=["decide"])
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "confirm")

    @action(description="Approve", url_path="approve", permissions=["decide"])
    def approve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "approve")

    @action(description="Reject", url_path="reject", permissions=["decide"])
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decide(request, object_id, "reject")

    def has_decide_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("provisioning.change_identitysource")
