"""Deactivate, reactivate and delete on the People admin: in bulk and on the person page.

Each asks for confirmation first, on a page that previews what the service
would do (``admin_views.preview``), then calls one lifecycle service and
reports the people it changed and those it skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.decorators import action

from accounts import services
from accounts.actors import signed_in
from accounts.admin_views import preview
from accounts.exceptions import DomainError
from accounts.forms import DeactivateForm
from accounts.models import Person

if TYPE_CHECKING:
    _PersonAdmin = admin.ModelAdmin[Person]
else:
    _PersonAdmin = object


@dataclass(frozen=True)
class Operation:
    """A lifecycle change offered as a bulk action and on the person page."""

    name: str
    title: str
    done_label: str
    bulk: Callable[..., services.BulkResult]
    single: Callable[..., Any]
    permission: str
    asks_reason: bool = False


OPERATIONS = {
    "deactivate": Operation(
        name="deactivate",
        title="Deactivate",
        done_label="Deactivated",
        bulk=services.deactivate_people,
        single=services.deactivate_person,
        permission="accounts.deactivate_person",
        asks_reason=True,
    ),
    "reactivate": Operation(
        name="reactivate",
        title="Reactivate",
        done_label="Reactivated",
        bulk=services.reactivate_people,
        single=services.reactivate_person,
        permission="accounts.deactivate_person",
    ),
    "delete": Operation(
        name="delete",
        title="Delete",
        done_label="Deleted",
        bulk=services.delete_people,
        single=services.delete_person,
        permission="accounts.delete_person",
    ),
}


def _people_word(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


class LifecycleActionsMixin(_PersonAdmin):
    """Deactivate, reactivate and delete actions for PersonAdmin."""

    # --- bulk actions -----------------------------------------------------
    @admin.action(description="Deactivate selected people", permissions=["deactivate"])
    def deactivate_selected(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        return self._bulk(request, queryset, OPERATIONS["deactivate"], "deactivate_selected")

    @admin.action(description="Reactivate selected people", permissions=["deactivate"])
    def reactivate_selected(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        return self._bulk(request, queryset, OPERATIONS["reactivate"], "reactivate_selected")

    @admin.action(description="Delete selected people", permissions=["delete"])
    def delete_selected_people(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        return self._bulk(request, queryset, OPERATIONS["delete"], "delete_selected_people")

    def _bulk(
        self, request: HttpRequest, queryset: QuerySet[Person], op: Operation, action_name: str
    ) -> HttpResponse | None:
        if not request.user.has_perm(op.permission):
            raise PermissionDenied
        people = list(queryset.select_related(None).order_by("full_name", "id"))
        reason_form = DeactivateForm(request.POST if "confirm" in request.POST else None)
        kwargs: dict[str, Any] = {}
        if op.asks_reason and reason_form.is_valid():
            kwargs["reason"] = reason_form.cleaned_data["reason"]
        by = signed_in(request)

        def run() -> services.BulkResult:
            return op.bulk(people, by=by, **kwargs)

        if request.POST.get("confirm") == "yes":
            try:
                result = run()
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            self._report(request, op, result)
            return None
        try:
            result = preview(run)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return self._confirmation(
            request,
            op,
            result,
            action_name=action_name,
            selected=people,
            reason_form=reason_form,
            cancel_url=request.get_full_path(),
        )

    # --- actions on the person page ---------------------------------------
    @action(description="Deactivate", url_path="deactivate", permissions=["deactivate"])
    def deactivate_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._single(request, object_id, OPERATIONS["deactivate"])

    @action(description="Reactivate", url_path="reactivate", permissions=["deactivate"])
    def reactivate_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._single(request, object_id, OPERATIONS["reactivate"])

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_delete_permission(request):
            raise PermissionDenied
        return self._single(request, object_id, OPERATIONS["delete"])

    def _single(self, request: HttpRequest, object_id: str, op: Operation) -> HttpResponse:
        if not request.user.has_perm(op.permission):
            raise PermissionDenied
        person = self.get_object(request, unquote(object_id))
        if person is None:
            # django-stubs leave out this private helper of ModelAdmin.
            return self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.opts, object_id
            )
        change_url = reverse("admin:accounts_person_change", args=[person.pk])
        reason_form = DeactivateForm(request.POST if request.method == "POST" else None)
        kwargs: dict[str, Any] = {}
        if op.asks_reason and reason_form.is_valid():
            kwargs["reason"] = reason_form.cleaned_data["reason"]
        by = signed_in(request)

        def run() -> services.BulkResult:
            try:
                op.single(person, by=by, **kwargs)
            except DomainError as exc:
                return services.BulkResult(skipped=[(person, exc.message)])
            return services.BulkResult(done=[person])

        if request.method == "POST" and request.POST.get("confirm") == "yes":
            result = run()
            self._report(request, op, result)
            if op.name == "delete" and result.done:
                return HttpResponseRedirect(reverse("admin:accounts_person_changelist"))
            return HttpResponseRedirect(change_url)
        return self._confirmation(
            request,
            op,
            preview(run),
            action_name="",
            selected=[person],
            reason_form=reason_form,
            cancel_url=change_url,
        )

    # --- shared -----------------------------------------------------------
    def _report(self, request: HttpRequest, op: Operation, result: services.BulkResult) -> None:
        if result.done:
            self.message_user(
                request, f"{op.done_label} {_people_word(len(result.done))}.", messages.SUCCESS
            )
        if result.skipped:
            reasons = " ".join(message for _, message in result.skipped)
            self.message_user(
                request,
                f"Skipped {_people_word(len(result.skipped))}: {reasons}",
                messages.WARNING,
            )

    def _confirmation(
        self,
        request: HttpRequest,
        op: Operation,
        result: services.BulkResult,
        *,
        action_name: str,
        selected: list[Person],
        reason_form: DeactivateForm,
        cancel_url: str,
    ) -> TemplateResponse:
        title = f"{op.title} {_people_word(len(selected))}?"
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "operation": op,
            "done": result.done,
            "skipped": result.skipped,
            "selected": selected,
            "action_name": action_name,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "reason_form": reason_form if op.asks_reason else None,
            "cancel_url": cancel_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/person/confirm_operation.html", context)
