"""REST API for the audit log: read it, newest first, one cursor page at a time."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis.base import ApiView, page_of
from accounts.models import LifecycleEvent
from accounts.selectors import list_events


class AuditEventListApi(ApiView):
    """Read the audit log, newest first, one cursor page at a time."""

    capability = "accounts.view_lifecycleevent"
    cursor_ordering = "-id"

    class FilterSerializer(serializers.Serializer):
        person_id = serializers.IntegerField(min_value=1, required=False)
        action = serializers.ChoiceField(choices=LifecycleEvent.Action.choices, required=False)
        actor_kind = serializers.ChoiceField(
            choices=LifecycleEvent.ActorKind.choices, required=False
        )
        actor_id = serializers.IntegerField(min_value=1, required=False)
        subject_kind = serializers.ChoiceField(
            choices=LifecycleEvent.SubjectKind.choices, required=False
        )
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        action = serializers.ChoiceField(choices=LifecycleEvent.Action.choices)
        action_label = serializers.CharField(source="get_action_display")
        person_id = serializers.IntegerField(source="person_ref", allow_null=True)
        subject = serializers.CharField()
        subject_kind = serializers.ChoiceField(choices=LifecycleEvent.SubjectKind.choices)
        actor_kind = serializers.ChoiceField(choices=LifecycleEvent.ActorKind.choices)
        actor_id = serializers.IntegerField(allow_null=True)
        actor_label = serializers.CharField()
        changes = serializers.JSONField()
        reason = serializers.CharField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses=page_of(OutputSerializer, "AuditEventPage"),
        operation_id="audit_events_list",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginate(list_events(**filters.validated_data), self.OutputSerializer)
