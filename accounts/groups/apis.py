"""REST API for groups and their members, with the admin's permissions.

System administrators and Account managers change groups; Auditors read
them. Every write calls one service in accounts.groups.services.
"""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.actors import signed_in
from accounts.apis.base import ApiView, StrictSerializer, idempotent_schema, page_of
from accounts.groups import rules, selectors, services
from accounts.models import Group, Person


class GroupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    # DRF's metaclass moves declared fields off the class; its stubs take this
    # one for an override of Field.source.
    source = serializers.ChoiceField(choices=Group.Source.choices)  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=Group.Kind.choices)
    rule = serializers.JSONField()
    rule_description = serializers.SerializerMethodField()
    member_count = serializers.IntegerField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_rule_description(self, group: Group) -> str:
        return rules.describe_rule(group.rule) if group.rule else ""


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    status = serializers.ChoiceField(choices=Person.Status.choices)


class MembershipChangeSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.IntegerField())
    removed = serializers.ListField(child=serializers.IntegerField())


class PersonIdsSerializer(StrictSerializer):
    person_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=1000
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class GroupAttributesSerializer(StrictSerializer):
    def to_internal_value(self, data: Any) -> Any:
        # Refused up front: error messages that echo a value would carry the
        # NUL into the stored Idempotency-Key answer, which PostgreSQL refuses.
        if isinstance(data, dict):
            if any(_has_nul(k) for k in data):
                raise serializers.ValidationError(
                    {"non_field_errors": ["Null characters are not allowed in field names."]}
                )
            bad = sorted(str(k).replace("\x00", "") for k, v in data.items() if _has_nul(v))
            if bad:
                raise serializers.ValidationError(
                    {name: ["Null characters are not allowed."] for name in bad}
                )
        return super().to_internal_value(data)

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    external_id = serializers.CharField(
        max_length=255, allow_null=True, allow_blank=True, required=False
    )
    kind = serializers.ChoiceField(choices=Group.Kind.choices, required=False)
    rule = serializers.JSONField(required=False, allow_null=True)


class JsonBodyMixin:
    """Take JSON bodies only: lists of ids do not fit form encoding's field limit."""

    def get_parsers(self) -> list[Any]:
        # APISettings imports the dotted paths it holds; the stubs type them as str.
        classes = cast(list[type], api_settings.DEFAULT_PARSER_CLASSES)
        return [p() for p in classes if issubclass(p, JSONParser)]


def _group(group_id: int) -> Group:
    return get_object_or_404(selectors.list_groups(), pk=group_id)


def _shown(group: Group) -> Any:
    return GroupOutputSerializer(_group(group.pk)).data


class GroupListApi(ApiView):
    """List groups in id order, with member counts, one cursor page at a time."""

    capability = "accounts.view_group"

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(max_length=200, required=False)
        kind = serializers.ChoiceField(choices=Group.Kind.choices, required=False)
        source = serializers.ChoiceField(  # type: ignore[assignment]
            choices=Group.Source.choices, required=False
        )

    @extend_schema(
        parameters=[FilterSerializer],
        responses=page_of(GroupOutputSerializer, "GroupPage"),
        operation_id="groups_list",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        groups = selectors.list_groups(search=data.pop("search", ""))
        return self.paginate(groups.filter(**data), GroupOutputSerializer)


class GroupDetailApi(ApiView):
    """Read one group."""

    capability = "accounts.view_group"

    @extend_schema(responses=GroupOutputSerializer, operation_id="groups_read")
    def get(self, request: Request, group_id: int) -> Response:
        return Response(GroupOutputSerializer(_group(group_id)).data)


class GroupCreateApi(JsonBodyMixin, ApiView):
    """Create a static group (with ``person_ids``) or a rule-based one (with ``rule``)."""

    capability = "accounts.add_group"

    class InputSerializer(GroupAttributesSerializer):
        person_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, max_length=1000
        )

    @idempotent_schema(
        request=InputSerializer,
        responses={201: GroupOutputSerializer},
        operation_id="groups_create",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        group = services.create_group(
            by=signed_in(request),
            source=Group.Source.API,
            member_ids=values.pop("person_ids", []),
            **values,
        )
        return Response(_shown(group), status=status.HTTP_201_CREATED)


class GroupUpdateApi(JsonBodyMixin, ApiView):
    """Change a group's name, description, external ID, kind or rule; others are kept."""

    capability = "accounts.change_group"

    class InputSerializer(GroupAttributesSerializer):
        name = serializers.CharField(max_length=200, required=False)

    @idempotent_schema(
        request=InputSerializer, responses=GroupOutputSerializer, operation_id="groups_update"
    )
    def post(self, request: Request, group_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.update_group(
            _group(group_id), by=signed_in(request), **data.validated_data
        )
        return Response(_shown(group))


class GroupDeleteApi(ApiView):
    """Delete a group; its people stay."""

    capability = "accounts.delete_group"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        deleted = serializers.BooleanField()

    @idempotent_schema(request=None, responses=OutputSerializer, operation_id="groups_delete")
    def post(self, request: Request, group_id: int) -> Response:
        group = _group(group_id)
        services.delete_group(group, by=signed_in(request))
        return Response({"id": group_id, "deleted": True})


class GroupMemberListApi(ApiView):
    """List a group's members in id order, one cursor page at a time."""

    capability = "accounts.view_group"

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(max_length=200, required=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=page_of(MemberOutputSerializer, "GroupMemberPage"),
        operation_id="groups_members_list",
    )
    def get(self, request: Request, group_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        members = selectors.list_members(_group(group_id), **filters.validated_data)
        return self.paginate(members, MemberOutputSerializer)


class GroupMembersAddApi(JsonBodyMixin, ApiView):
    """Add people to a static group; an unknown id refuses the whole request."""

    capability = "accounts.change_group"
    InputSerializer = PersonIdsSerializer

    @idempotent_schema(
        request=PersonIdsSerializer,
        responses=MembershipChangeSerializer,
        operation_id="groups_members_add",
    )
    def post(self, request: Request, group_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.add_members(
            _group(group_id), data.validated_data["person_ids"], by=signed_in(request)
        )
        return Response(MembershipChangeSerializer(change).data)


class GroupMembersRemoveApi(JsonBodyMixin, ApiView):
    """Remove people from a static group; ids not in it are ignored."""

    capability = "accounts.change_group"
    InputSerializer = PersonIdsSerializer

    @idempotent_schema(
        request=PersonIdsSerializer,
        responses=MembershipChangeSerializer,
        operation_id="groups_members_remove",
    )
    def post(self, request: Request, group_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.remove_members(
            _group(group_id), data.validated_data["person_ids"], by=signed_in(request)
        )
        return Response(MembershipChangeSerializer(change).data)
