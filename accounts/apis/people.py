"""REST API for people and their lifecycle: list, read, create, update, invite,
remind, revoke, deactivate, reactivate, delete.

Each API is thin: parse the input, check the role's capability, call one
service or selector, serialise the result. The same capabilities as the
admin apply (accounts.roles); services check them again.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.actors import signed_in
from accounts.apis.base import ApiView, StrictSerializer, idempotent_schema, page_of
from accounts.invitations import invite_person, remind_person, revoke_invitation
from accounts.models import Invitation, Person
from accounts.selectors import list_people

# --- output serializers ---------------------------------------------------------


class ManagerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    external_id = serializers.CharField(allow_null=True)
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    full_name = serializers.CharField()
    display_name = serializers.CharField()
    manager = ManagerSerializer(allow_null=True)
    job_title = serializers.CharField()
    department = serializers.CharField()
    phone_number = serializers.CharField()
    location = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Person.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    # DRF's metaclass moves declared fields off the class; its stubs take this
    # one for an override of Field.source.
    source = serializers.ChoiceField(choices=Person.Source.choices)  # type: ignore[assignment]
    role = serializers.CharField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    deactivated_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Invitation.Status.choices)
    message = serializers.CharField()
    send_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    reminders_sent = serializers.IntegerField()
    delivery_status = serializers.CharField()


class PersonAttributesSerializer(StrictSerializer):
    email = serializers.CharField(max_length=254)
    external_id = serializers.CharField(
        max_length=255, allow_null=True, allow_blank=True, required=False
    )
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    full_name = serializers.CharField(max_length=300, allow_blank=True, required=False)
    manager_id = serializers.PrimaryKeyRelatedField(
        source="manager", queryset=Person.objects.all(), allow_null=True, required=False
    )
    job_title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    department = serializers.CharField(max_length=200, allow_blank=True, required=False)
    phone_number = serializers.CharField(max_length=40, allow_blank=True, required=False)
    location = serializers.CharField(max_length=200, allow_blank=True, required=False)
    start_date = serializers.DateField(allow_null=True, required=False)


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


def _person(person_id: int) -> Person:
    return get_object_or_404(list_people(), pk=person_id)


# --- people -----------------------------------------------------------------------


class PersonListApi(ApiView):
    """List people with the admin's filters, in id order, one cursor page at a time."""

    capability = "accounts.view_person"

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Person.Status.choices, required=False)
        department = serializers.CharField(max_length=200, required=False)
        location = serializers.CharField(max_length=200, required=False)
        # DRF's metaclass moves declared fields off the class; its stubs take
        # this one for an override of Field.source.
        source = serializers.ChoiceField(  # type: ignore[assignment]
            choices=Person.Source.choices, required=False
        )
        manager_id = serializers.IntegerField(min_value=1, required=False)
        search = serializers.CharField(max_length=200, required=False)
        start_date_from = serializers.DateField(
            required=False, help_text="People starting on or after this day (YYYY-MM-DD)."
        )
        start_date_to = serializers.DateField(
            required=False, help_text="People starting on or before this day (YYYY-MM-DD)."
        )

    OutputSerializer = PersonOutputSerializer

    @extend_schema(
        parameters=[FilterSerializer],
        responses=page_of(PersonOutputSerializer, "PersonPage"),
        operation_id="people_list",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginate(list_people(**filters.validated_data), self.OutputSerializer)


class PersonDetailApi(ApiView):
    """Read one person."""

    capability = "accounts.view_person"
    OutputSerializer = PersonOutputSerializer

    @extend_schema(responses=PersonOutputSerializer, operation_id="people_read")
    def get(self, request: Request, person_id: int) -> Response:
        return Response(self.OutputSerializer(_person(person_id)).data)


class PersonCreateApi(ApiView):
    """Add a person awaiting invitation (source "api")."""

    capability = "accounts.add_person"

    class InputSerializer(PersonAttributesSerializer):
        pass

    OutputSerializer = PersonOutputSerializer

    @idempotent_schema(
        request=InputSerializer,
        responses={201: PersonOutputSerializer},
        operation_id="people_create",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.create_person(
            by=signed_in(request), source=Person.Source.API, **data.validated_data
        )
        return Response(self.OutputSerializer(person).data, status=status.HTTP_201_CREATED)


class PersonUpdateApi(ApiView):
    """Change some of a person's attributes; fields left out keep their values."""

    capability = "accounts.change_person"

    class InputSerializer(PersonAttributesSerializer):
        email = serializers.CharField(max_length=254, required=False)

    OutputSerializer = PersonOutputSerializer

    @idempotent_schema(
        request=InputSerializer, responses=PersonOutputSerializer, operation_id="people_update"
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), services.update_person)


class PersonInviteApi(ApiView):
    """Invite a person now or at ``send_at``; an invited person gets a new link."""

    capability = "accounts.add_invitation"

    class InputSerializer(StrictSerializer):
        send_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        message = serializers.CharField(max_length=2000, allow_blank=True, required=False)

    OutputSerializer = InvitationOutputSerializer

    @idempotent_schema(
        request=InputSerializer,
        responses={201: InvitationOutputSerializer},
        operation_id="people_invite",
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), invite_person, status_code=status.HTTP_201_CREATED)


class PersonRemindApi(ApiView):
    """Email an invited person a reminder with a fresh link."""

    capability = "accounts.change_invitation"

    class InputSerializer(StrictSerializer):
        pass

    OutputSerializer = InvitationOutputSerializer

    @idempotent_schema(
        request=None, responses=InvitationOutputSerializer, operation_id="people_remind"
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), remind_person)


class PersonRevokeInvitationApi(ApiView):
    """Invalidate an invited person's links; they return to Awaiting invitation."""

    capability = "accounts.change_invitation"
    InputSerializer = ReasonSerializer
    OutputSerializer = PersonOutputSerializer

    @idempotent_schema(
        request=ReasonSerializer,
        responses=PersonOutputSerializer,
        operation_id="people_revoke_invitation",
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), revoke_invitation)


class PersonDeactivateApi(ApiView):
    """Deactivate a person: sessions end, invitations are revoked, targets are told."""

    capability = "accounts.deactivate_person"
    InputSerializer = ReasonSerializer
    OutputSerializer = PersonOutputSerializer

    @idempotent_schema(
        request=ReasonSerializer,
        responses=PersonOutputSerializer,
        operation_id="people_deactivate",
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), services.deactivate_person)


class PersonReactivateApi(ApiView):
    """Bring back a deactivated person (Active if they had claimed their account)."""

    capability = "accounts.deactivate_person"
    InputSerializer = ReasonSerializer
    OutputSerializer = PersonOutputSerializer

    @idempotent_schema(
        request=ReasonSerializer,
        responses=PersonOutputSerializer,
        operation_id="people_reactivate",
    )
    def post(self, request: Request, person_id: int) -> Response:
        return self.act(_person(person_id), services.reactivate_person)


class PersonDeleteApi(ApiView):
    """Delete a person who never claimed an account; an audit tombstone remains."""

    capability = "accounts.delete_person"
    InputSerializer = ReasonSerializer

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        deleted = serializers.BooleanField()

    @idempotent_schema(
        request=ReasonSerializer, responses=OutputSerializer, operation_id="people_delete"
    )
    def post(self, request: Request, person_id: int) -> Response:
        person = _person(person_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deleted_id = services.delete_person(person, by=signed_in(request), **data.validated_data)
        return Response(self.OutputSerializer({"id": deleted_id, "deleted": True}).data)
