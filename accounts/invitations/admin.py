"""Invitation actions and columns for the People admin.

``InvitationAdminMixin`` adds, for people: Invite / Send new link, Remind and
Revoke on the person page; "Invite selected" and "Remind selected" bulk
actions; "Invite everyone awaiting invitation" and "Remind all" over the
filtered list; an Invitation column and filters (``admin_forms``); and the
invitation's emails on the person page. Every write calls one
accounts.invitations service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from unfold.decorators import action, display

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from accounts.invitations import (
    InviteResult,
    attach_invitation_columns,
    count_awaiting_invitation,
    count_remindable,
    get_invitation_summary,
    invite_people,
    list_deliveries,
    remind_people,
    revoke_invitation,
    send_test_invitation,
)
from accounts.invitations.admin_forms import (
    DeliveryFailedFilter,
    InvitedForFilter,
    InviteForm,
    changelist_filters,
    changelist_url,
)
from accounts.models import Person

if TYPE_CHECKING:
    _PersonAdmin = admin.ModelAdmin[Person]
else:
    _PersonAdmin = object

INVITE = "accounts.add_invitation"
REMIND = "accounts.change_invitation"
DELIVERIES_SHOWN = 20


def _short_date(value: datetime | None) -> str:
    return date_format(timezone.localtime(value), "j M") if value else ""


class InvitationAdminMixin(_PersonAdmin):
    """Invitation actions, column, filters and person-page panel for PersonAdmin."""

    change_form_outer_before_template = "admin/accounts/person/invitation.html"
    invitation_list_filters = (InvitedForFilter, DeliveryFailedFilter)

    # --- permissions ------------------------------------------------------
    def has_invite_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(INVITE)

    def has_remind_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(REMIND)

    # --- list -------------------------------------------------------------
    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        attach_invitation_columns(list(changelist.result_list))
        return changelist

    @display(description="Invitation")
    def invitation(self, obj: Person) -> str:
        # The columns attach_invitation_columns set on each row of the list.
        state = getattr(obj, "invitation_status", None)
        if obj.status == Person.Status.ACTIVE:
            return f"Claimed {_short_date(obj.claimed_at)}" if obj.claimed_at else ""
        if state is None or obj.status != Person.Status.INVITED:
            return ""
        if getattr(obj, "delivery_status", "") == "failed":
            return "Email failed"
        if state == "scheduled":
            return f"Scheduled {_short_date(getattr(obj, 'invitation_send_at', None))}"
        parts = [f"Sent {_short_date(getattr(obj, 'invitation_sent_at', None))}"]
        reminders: int = getattr(obj, "reminders_sent", 0)
        if reminders:
            parts.append(f"{reminders} reminder{'s' if reminders > 1 else ''}")
        expires: datetime | None = getattr(obj, "invitation_expires_at", None)
        if expires and expires <= timezone.now():
            parts.append("expired")
        elif expires:
            parts.append(f"expires {_short_date(expires)}")
        return " · ".join(parts)

    # --- person page ------------------------------------------------------
    def invitation_actions_not_applying(self, person: Person) -> set[str]:
        """Names of the invitation buttons that do nothing for ``person`` as they are now."""
        hidden = set()
        if person.status not in (Person.Status.STAGED, Person.Status.INVITED):
            hidden.add("invite_detail")
        if person.status != Person.Status.INVITED:
            hidden.add("revoke_invitation_detail")
        if not count_remindable(Person.objects.filter(pk=person.pk)):
            hidden.add("remind_detail")
        return hidden

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        person = _find_person(object_id)
        if person is not None:
            context.update(
                invitation_summary=get_invitation_summary(person),
                invitation_deliveries=list(list_deliveries(person)[:DELIVERIES_SHOWN]),
            )
        return super().change_view(request, object_id, form_url, context)

    @action(description="Invite", url_path="invite", permissions=["invite"])
    def invite_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        person = self._invitation_person(object_id)
        back = reverse("admin:accounts_person_change", args=[person.pk])
        if person.status not in (Person.Status.STAGED, Person.Status.INVITED):
            self._warn(
                request,
                f"{person} is {person.get_status_display().lower()}: there is nobody to invite.",
            )
            return HttpResponseRedirect(back)
        verb = "Send a new link to" if person.status == Person.Status.INVITED else "Invite"
        return _or_back(
            self._invite_people(
                request, Person.objects.filter(pk=person.pk), f"{verb} {person}", back
            ),
            back,
        )

    @action(description="Remind", url_path="remind", permissions=["remind"])
    def remind_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        person = self._invitation_person(object_id)
        back = reverse("admin:accounts_person_change", args=[person.pk])
        return _or_back(
            self._remind_people(
                request, Person.objects.filter(pk=person.pk), f"Remind {person}", back
            ),
            back,
        )

    @action(description="Revoke invitation", url_path="revoke-invitation", permissions=["remind"])
    def revoke_invitation_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        person = self._invitation_person(object_id)
        back = reverse("admin:accounts_person_change", args=[person.pk])
        if person.status != Person.Status.INVITED:
            self._warn(request, f"{person} has no pending invitation.")
            return HttpResponseRedirect(back)
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            try:
                revoke_invitation(person, by=signed_in(request))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Revoked the invitation to {person}: earlier links no longer work.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(back)
        return self._invitation_page(
            request,
            title=f"Revoke the invitation to {person}?",
            count=1,
            back=back,
            kind="revoke",
        )

    # --- bulk actions on selected people ------------------------------------
    @admin.action(description="Invite selected people", permissions=["invite"])
    def invite_selected(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        return self._invite_people(
            request, queryset, "Invite the selected people", request.get_full_path(), bulk=True
        )

    @admin.action(description="Remind selected people", permissions=["remind"])
    def remind_selected(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        return self._remind_people(
            request, queryset, "Remind the selected people", request.get_full_path(), bulk=True
        )

    # --- over the filtered list ---------------------------------------------
    @action(
        description="Invite everyone awaiting invitation",
        url_path="invite-awaiting",
        permissions=["invite"],
    )
    def invite_awaiting(self, request: HttpRequest) -> HttpResponse:
        filters = changelist_filters(request)
        people = self._filtered_people(request, filters).filter(status=Person.Status.STAGED)
        title = f"Invite everyone awaiting invitation ({count_awaiting_invitation(people)})"
        back = changelist_url(filters)
        return _or_back(self._invite_people(request, people, title, back, filters=filters), back)

    @action(description="Remind all", url_path="remind-all", permissions=["remind"])
    def remind_all(self, request: HttpRequest) -> HttpResponse:
        filters = changelist_filters(request)
        people = self._filtered_people(request, filters).filter(status=Person.Status.INVITED)
        title = f"Remind all ({count_remindable(people)})"
        back = changelist_url(filters)
        return _or_back(self._remind_people(request, people, title, back, filters=filters), back)

    # --- shared -------------------------------------------------------------
    # The page builders return None once done (or when nothing applies): a
    # bulk action then goes back to the list, the other callers to ``back``.
    def _warn(self, request: HttpRequest, text: str) -> None:
        self.message_user(request, text, messages.WARNING)

    def _invitation_person(self, object_id: str) -> Person:
        person = _find_person(object_id)
        if person is None:
            raise PermissionDenied
        return person

    def _filtered_people(self, request: HttpRequest, filters: str) -> QuerySet[Person]:
        original, request.GET = request.GET, QueryDict(filters)
        try:
            changelist = self.get_changelist_instance(request)
            return changelist.get_queryset(request).select_related(None).order_by()
        finally:
            request.GET = original

    def _invite_people(
        self,
        request: HttpRequest,
        people: QuerySet[Person],
        title: str,
        back: str,
        *,
        bulk: bool = False,
        filters: str | None = None,
    ) -> HttpResponse | None:
        if not request.user.has_perm(INVITE):
            raise PermissionDenied
        submitted = request.method == "POST" and "when" in request.POST
        # Only people awaiting invitation or invited can get a link.
        count = people.filter(status__in=[Person.Status.STAGED, Person.Status.INVITED]).count()
        if not count:
            self._warn(request, "Nobody here is awaiting an invitation or invited.")
            return None
        form = InviteForm(request.POST if submitted else None)
        if submitted and form.is_valid():
            by = signed_in(request)
            try:
                if "send_test" in request.POST:
                    link = send_test_invitation(by=by, message=form.cleaned_data["message"])
                    self.message_user(
                        request,
                        f"A test email is on its way to {by.email}. "
                        f"Its claim link points at {link}",
                    )
                else:
                    result = invite_people(
                        people,
                        by=by,
                        send_at=form.send_time,
                        message=form.cleaned_data["message"],
                    )
                    self._invitation_report(request, result, form.send_time)
                    return None
            except DomainError as exc:
                form.add_error(None, exc.message)
        return self._invitation_page(
            request,
            title=title,
            count=count,
            back=back,
            kind="invite",
            form=form,
            selected=list(people.values_list("pk", flat=True)) if bulk else None,
            action_name="invite_selected" if bulk else "",
            filters=filters,
        )

    def _remind_people(
        self,
        request: HttpRequest,
        people: QuerySet[Person],
        title: str,
        back: str,
        *,
        bulk: bool = False,
        filters: str | None = None,
    ) -> HttpResponse | None:
        if not request.user.has_perm(REMIND):
            raise PermissionDenied
        count = count_remindable(people)
        if not count:
            self._warn(request, "Nobody here has a sent, unclaimed invitation to remind.")
            return None
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            try:
                result = remind_people(people, by=signed_in(request))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self._invitation_report(request, result, None)
            return None
        return self._invitation_page(
            request,
            title=title,
            count=count,
            back=back,
            kind="remind",
            selected=list(people.values_list("pk", flat=True)) if bulk else None,
            action_name="remind_selected" if bulk else "",
            filters=filters,
        )

    def _invitation_report(
        self, request: HttpRequest, result: InviteResult, when: datetime | None
    ) -> None:
        notify = self.message_user
        timing = (
            f" for {date_format(timezone.localtime(when), 'j M Y H:i')}"
            if when and when > timezone.now() + timedelta(minutes=1)
            else ""
        )
        if result.invited or result.resent:
            text = f"Invited {result.invited + result.resent}{timing}"
            if result.resent:
                text += f" ({result.resent} got a new link replacing the earlier one)"
            notify(request, text + ".", messages.SUCCESS)
        if result.reminded:
            notify(request, f"Reminded {result.reminded}.", messages.SUCCESS)
        if result.skipped:
            reasons = " ".join(reason for _, reason in result.skipped[:20])
            more = "" if len(result.skipped) <= 20 else f" (and {len(result.skipped) - 20} more)"
            notify(request, f"Skipped {len(result.skipped)}: {reasons}{more}", messages.WARNING)
        if not (result.invited or result.resent or result.reminded or result.skipped):
            notify(request, "Nobody to do this for.", messages.WARNING)

    def _invitation_page(
        self, request: HttpRequest, *, title: str, count: int, back: str, kind: str, **extra: Any
    ) -> TemplateResponse:
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "count": count,
            "cancel_url": back,
            "kind": kind,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            **extra,
        }
        return TemplateResponse(request, "admin/accounts/person/invitation_form.html", context)


def _find_person(object_id: str) -> Person | None:
    try:
        pk = int(unquote(object_id))
    except (TypeError, ValueError):
        return None
    return Person.objects.filter(pk=pk).first()


def _or_back(response: HttpResponse | None, back: str) -> HttpResponse:
    return HttpResponseRedirect(back) if response is None else response
