"""The People admin: the list, its columns and filters, the forms and the person page.

Lifecycle actions (deactivate, reactivate, delete) come from
``accounts.admin.lifecycle`` and invitation actions from
``accounts.invitations.admin``. Every write goes through accounts.services;
every page and action checks the signed-in person's role (Person.has_perm
reads accounts.roles).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from unfold.contrib.filters.admin import AutocompleteSelectFilter, ChoicesDropdownFilter
from unfold.decorators import display

from accounts import services
from accounts.actors import signed_in
from accounts.admin.base import ServiceAdmin
from accounts.admin.lifecycle import LifecycleActionsMixin
from accounts.admin.profile import STATUS_COLOURS, profile_context
from accounts.admin_views import (
    DepartmentFilter,
    FastCheckboxMixin,
    LocationFilter,
    RosterPaginator,
    StaffFilter,
    StartDateFilter,
)
from accounts.forms import PersonForm
from accounts.invitations.admin import InvitationAdminMixin
from accounts.invitations.admin_forms import DeliveryFailedFilter, InvitedForFilter
from accounts.models import Person


@admin.register(Person)
class PersonAdmin(InvitationAdminMixin, LifecycleActionsMixin, FastCheckboxMixin, ServiceAdmin):
    """People: the list, the add and change forms, and the person page."""

    form = PersonForm
    list_display = (
        "name",
        "email_column",
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
        StartDateFilter,
        ("manager", AutocompleteSelectFilter),
        ("source", ChoicesDropdownFilter),
        InvitedForFilter,
        DeliveryFailedFilter,
        StaffFilter,
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
    # The profile: a header with the person's status and actions and the
    # section navigation above the form; reporting line, invitation, the
    # sections other apps register and the timeline below it.
    change_form_outer_before_template = "admin/accounts/person/profile_header.html"
    change_form_outer_after_template = "admin/accounts/person/extras.html"

    # --- columns ----------------------------------------------------------
    @display(description="Name", ordering="full_name")
    def name(self, obj: Person) -> str:
        return obj.display_name

    @display(description="Email", ordering="email")
    def email_column(self, obj: Person) -> str:
        # An identity provider's userName (a UPN, a login) shows only where it
        # differs from the email.
        if obj.user_name:
            return format_html("{}<br><small>userName: {}</small>", obj.email, obj.user_name)
        return obj.email

    @display(description="userName (SCIM)")
    def user_name_shown(self, obj: Person) -> str:
        return obj.user_name or ""

    @display(description="Phone number as given")
    def phone_as_given(self, obj: Person) -> str:
        if obj.phone_is_unverified:
            return f"{obj.phone_number_given} (unverified: not a number Roster could parse)"
        return obj.phone_number_given

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
                {
                    "fields": [
                        "manager",
                        "job_title",
                        "department",
                        "location",
                        "phone_number",
                        "start_date",
                    ]
                },
            ),
        ]
        if obj is not None and obj.user_name:
            fieldsets[0][1]["fields"].insert(1, "user_name_shown")
        if obj is not None and obj.phone_number_given:
            fieldsets[1][1]["fields"].append("phone_as_given")
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
        fields = [
            "status",
            "source",
            "version",
            "created_at",
            "updated_at",
            "claimed_at",
            "user_name_shown",
            "phone_as_given",
        ]
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
        return services.staff_protection(obj, by=signed_in(request)) is None

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

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Person | None = None,
    ) -> HttpResponse:
        # The actions that apply to the person sit in the profile's header,
        # not in the top bar (where a phone hides them behind a menu).
        if obj is not None:
            context["profile_actions"] = context.get("actions_detail") or []
            context["actions_detail"] = []
        return super().render_change_form(request, context, add, change, form_url, obj)

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
            context.update(profile_context(request, person))
        if pk is not None:
            target = person or Person.objects.filter(pk=pk).first()
            reason = target and services.staff_protection(target, by=signed_in(request))
            if reason and request.method == "GET":
                context["staff_protected"] = reason
                self.message_user(request, reason, messages.INFO)
        return super().change_view(request, object_id, form_url, context)
