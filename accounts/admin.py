"""The admin panel for people, the audit log and allowed domains.

Every write goes through accounts.services; every page and action checks
the signed-in person's role (Person.has_perm reads accounts.roles).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    ChoicesDropdownFilter,
    RangeDateFilter,
)
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display

from accounts import selectors, services
from accounts.admin_extensions import person_sections
from accounts.admin_views import (
    DepartmentFilter,
    FastCheckboxMixin,
    LocationFilter,
    RosterPaginator,
    memoise_unfold_result_headers,
    preview,
)
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError
from accounts.forms import AllowedDomainForm, DeactivateForm, PersonForm
from accounts.invitations.admin import (
    DeliveryFailedFilter,
    InvitationAdminMixin,
    InvitedForFilter,
)
from accounts.models import AllowedDomain, LifecycleEvent, Person
from accounts.resources import LifecycleEventResource

REPORTS_SHOWN = 50
EVENTS_SHOWN = 50


class _Refused(Exception):
    """A service refused the submitted form; carries the form, errors attached."""

    def __init__(self, form: Any) -> None:
        super().__init__()
        self.form = form


memoise_unfold_result_headers()


class ServiceAdmin(ModelAdmin):
    """A ModelAdmin whose add/change forms save through a service.

    The form's ``save_through_services(by=...)`` does the write. When the
    service refuses, the transaction Django opened for the POST is rolled
    back and the same form is shown again with the service's messages on the
    fields they concern.
    """

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Django's bulk delete bypasses the services.
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        refused = getattr(request, "_roster_refused_form", None)
        if refused is not None:
            return lambda *args, **kw: refused
        form = super().get_form(request, obj, change, **kwargs)
        # Fields the form declares itself get the admin theme's widgets too.
        return type(form.__name__, (UnfoldWidgetsMixin, form), {"__module__": form.__module__})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # Render the refused form the way Django renders an invalid one.
            request._roster_refused_form = refused.form  # type: ignore[attr-defined]
            method, request.method = request.method, "GET"
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            finally:
                request.method = method
                del request._roster_refused_form  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = form.save_through_services(by=request.user)
        except DomainError as exc:
            form.show_domain_error(exc)
            raise _Refused(form) from exc
        # Django goes on with ``obj`` (messages, redirect, admin log).
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass


# --- people -----------------------------------------------------------------


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

STATUS_COLOURS = {
    Person.Status.STAGED: "info",
    Person.Status.INVITED: "warning",
    Person.Status.ACTIVE: "success",
    Person.Status.DEACTIVATED: "danger",
}


def _people_word(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


@admin.register(Person)
class PersonAdmin(InvitationAdminMixin, FastCheckboxMixin, ServiceAdmin):
    form = PersonForm
    list_display = (
        "name",
        "email",
        "status_label",
        "department",
        "job_title",
        "manager",
        "location",
        "source",
        "invitation",
        "last_changed",
    )
    list_display_links = ("name",)
    list_select_related = ("manager",)
    search_fields = ("full_name", "email", "=external_id")
    search_help_text = "Name or email (any part), or the exact external ID."
    list_filter = (
        ("status", ChoicesDropdownFilter),
        DepartmentFilter,
        LocationFilter,
        ("manager", AutocompleteSelectFilter),
        ("source", ChoicesDropdownFilter),
        InvitedForFilter,
        DeliveryFailedFilter,
    )
    list_filter_submit = True
    list_per_page = 50
    list_max_show_all = 500
    list_disable_select_all = True
    paginator = RosterPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    autocomplete_fields = ("manager",)
    actions = (
        "invite_selected",
        "remind_selected",
        "deactivate_selected",
        "reactivate_selected",
        "delete_selected_people",
    )
    actions_detail = (
        "invite_detail",
        "remind_detail",
        "revoke_invitation_detail",
        "deactivate_detail",
        "reactivate_detail",
    )
    actions_list = ("invite_awaiting", "remind_all")
    change_form_outer_after_template = "admin/accounts/person/extras.html"

    # --- columns ----------------------------------------------------------
    @display(description="Name", ordering="full_name")
    def name(self, obj: Person) -> str:
        return obj.display_name

    @display(description="Status", ordering="status", label=STATUS_COLOURS)
    def status_label(self, obj: Person) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Last changed", ordering="updated_at")
    def last_changed(self, obj: Person) -> Any:
        return obj.updated_at

    # --- form layout ------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Person | None = None) -> list:
        fieldsets: list = [
            (
                "Person",
                {"fields": ["email", "external_id", "first_name", "last_name", "full_name"]},
            ),
            (
                "Work",
                {"fields": ["manager", "job_title", "department", "location", "phone_number"]},
            ),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    "Account",
                    {
                        "fields": [
                            "status",
                            "role",
                            "source",
                            "claimed_at",
                            "version",
                            "created_at",
                            "updated_at",
                        ]
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Person | None = None) -> list[str]:
        fields = ["status", "source", "version", "created_at", "updated_at", "claimed_at"]
        if not request.user.has_perm("accounts.change_role"):
            fields.append("role")
        return fields

    # --- permissions ------------------------------------------------------
    def has_deactivate_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.deactivate_person") and self._may_change(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    @staticmethod
    def _may_change(request: HttpRequest, obj: Any) -> bool:
        # Staff (any admin role) are changed by System administrators only:
        # their page is read-only for everyone else.
        if obj is None:
            return True
        if not isinstance(obj, Person):
            # Detail actions name the person by the id in the URL.
            obj = Person.objects.filter(pk=str(obj)).first() if str(obj).isdigit() else None
            if obj is None:
                return True
        return services.staff_protection(obj, by=request.user) is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Someone who claimed is deactivated, never deleted: no Delete button.
        if isinstance(obj, Person) and obj.has_claimed:
            return False
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)

    # --- person page ------------------------------------------------------
    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        actions = super().get_actions_detail(request, object_id)
        person = self.get_object(request, unquote(str(object_id)))
        if person is None:
            return actions
        hidden = self.invitation_actions_not_applying(person)
        if person.status == Person.Status.DEACTIVATED:
            hidden.add("deactivate_detail")
        else:
            hidden.add("reactivate_detail")
        return [a for a in actions if a.method.__name__ not in hidden]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        try:
            pk = int(unquote(object_id))
        except ValueError:
            pk = None
        person = self.get_object(request, unquote(object_id)) if pk is not None else None
        if person is not None:
            context["person_sections"] = person_sections(request, person)
        if pk is not None:
            reports = list(selectors.list_direct_reports(Person(pk=pk))[: REPORTS_SHOWN + 1])
            context.update(
                direct_reports=reports[:REPORTS_SHOWN],
                more_reports=len(reports) > REPORTS_SHOWN,
                reports_url=reverse("admin:accounts_person_changelist")
                + f"?manager__id__exact={pk}",
                events=list(selectors.list_events_for_person(pk)[:EVENTS_SHOWN]),
                events_url=reverse("admin:accounts_lifecycleevent_changelist")
                + f"?person_ref={pk}",
            )
            target = Person.objects.filter(pk=pk).first()
            reason = target and services.staff_protection(target, by=request.user)
            if reason and request.method == "GET":
                context["staff_protected"] = reason
                self.message_user(request, reason, messages.INFO)
        return super().change_view(request, object_id, form_url, context)

    # --- bulk actions -----------------------------------------------------
    @admin.action(description="Deactivate selected people", permissions=["deactivate"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Person]):
        return self._bulk(request, queryset, OPERATIONS["deactivate"], "deactivate_selected")

    @admin.action(description="Reactivate selected people", permissions=["deactivate"])
    def reactivate_selected(self, request: HttpRequest, queryset: QuerySet[Person]):
        return self._bulk(request, queryset, OPERATIONS["reactivate"], "reactivate_selected")

    @admin.action(description="Delete selected people", permissions=["delete"])
    def delete_selected_people(self, request: HttpRequest, queryset: QuerySet[Person]):
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

        def run() -> services.BulkResult:
            return op.bulk(people, by=request.user, **kwargs)

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
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:accounts_person_change", args=[person.pk])
        reason_form = DeactivateForm(request.POST if request.method == "POST" else None)
        kwargs: dict[str, Any] = {}
        if op.asks_reason and reason_form.is_valid():
            kwargs["reason"] = reason_form.cleaned_data["reason"]

        def run() -> services.BulkResult:
            try:
                op.single(person, by=request.user, **kwargs)
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
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "reason_form": reason_form if op.asks_reason else None,
            "cancel_url": cancel_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/person/confirm_operation.html", context)


# --- audit log --------------------------------------------------------------


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(FastCheckboxMixin, ExportMixin, ModelAdmin):
    """The audit log: read-only, exported as the changelist shows it (filters applied)."""

    list_display = ("created_at", "action", "subject_link", "actor_label", "changes_summary")
    list_filter = (
        ("action", ChoicesDropdownFilter),
        ("subject_kind", ChoicesDropdownFilter),
        ("actor_kind", ChoicesDropdownFilter),
        ("created_at", RangeDateFilter),
    )
    list_filter_submit = True
    search_fields = ("subject", "actor_label")
    list_per_page = 50
    list_disable_select_all = True
    paginator = RosterPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    fields = (
        "created_at",
        "action",
        "subject_kind",
        "subject",
        "person_ref",
        "actor_kind",
        "actor_label",
        "reason",
        "changes",
    )
    # Export only: the audit log is written by accounts.services alone.
    resource_classes = [LifecycleEventResource]
    export_form_class = ExportForm
    export_formats = [CSV, XLSX]
    # A byte-order mark, so Excel reads accents in CSV (as the people export does).
    to_encoding = "utf-8-sig"

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description="Subject", ordering="subject")
    def subject_link(self, obj: LifecycleEvent) -> str:
        if obj.person_id:
            url = reverse("admin:accounts_person_change", args=[obj.person_id])
            return format_html('<a href="{}">{}</a>', url, obj.subject)
        return obj.subject

    @display(description="Changes")
    def changes_summary(self, obj: LifecycleEvent) -> str:
        parts = [
            f"{name}: {_short(values[0])} → {_short(values[1])}"
            if isinstance(values, list) and len(values) == 2
            else f"{name}: {_short(values)}"
            for name, values in (obj.changes or {}).items()
        ]
        text = "; ".join(parts)
        if obj.reason:
            text = f"{text} (reason: {obj.reason})" if text else f"Reason: {obj.reason}"
        return text if len(text) <= 160 else text[:157] + "…"


def _short(value: Any) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


# --- allowed domains --------------------------------------------------------


@admin.register(AllowedDomain)
class AllowedDomainAdmin(ServiceAdmin):
    form = AllowedDomainForm
    list_display = ("domain", "is_verified", "created_at")
    search_fields = ("domain",)

    def get_fieldsets(self, request: HttpRequest, obj: AllowedDomain | None = None) -> list:
        fields = (
            ["domain", "is_verified"] if obj is None else ["domain", "is_verified", "created_at"]
        )
        return [(None, {"fields": fields})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["created_at"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_alloweddomain")

    # A domain is removed and added again rather than edited.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.change_alloweddomain")

    def delete_model(self, request: HttpRequest, obj: AllowedDomain) -> None:
        services.remove_allowed_domain(obj, by=request.user)


# API tokens register themselves with the admin.
from accounts import api_tokens as _api_tokens  # noqa: E402,F401

# Roster's roles replace Django's groups, and a person's one email lives on
# the person: neither page would mean anything to an administrator. MFA
# authenticators hold TOTP keys and recovery seeds, which no page shows; the
# scheduler's tables are set from the pages of what they schedule.
for _model in (
    Group,
    EmailAddress,
    Authenticator,
    PeriodicTask,
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
