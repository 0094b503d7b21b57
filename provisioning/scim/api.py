"""REST API for SCIM targets: read them and their runs, start a sync.

Configuring targets stays in the admin. For System administrators (auditors
may read), as in the admin.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import ApiView, StrictSerializer, idempotent_schema, page_of
from provisioning.scim import group_batch, schedules
from provisioning.scim import selectors as scim_selectors
from provisioning.scim import services as scim_services
from provisioning.scim.models import ScimRun, ScimTarget


class ScimTargetOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    base_url = serializers.URLField()
    auth_method = serializers.ChoiceField(choices=ScimTarget.AuthMethod.choices)
    is_enabled = serializers.BooleanField()
    state = serializers.ChoiceField(choices=ScimTarget.State.choices)
    state_reason = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    deactivation = serializers.ChoiceField(choices=ScimTarget.Deactivation.choices)
    scope_departments = serializers.JSONField()
    scope_locations = serializers.JSONField()
    scope_statuses = serializers.JSONField()
    scope_sources = serializers.JSONField()
    rate_limit = serializers.FloatField()
    push_groups = serializers.BooleanField()
    scope_groups = serializers.JSONField()
    full_sync = serializers.ChoiceField(choices=ScimTarget.FullSync.choices)
    full_sync_hour = serializers.IntegerField()
    full_sync_weekday = serializers.IntegerField()
    full_sync_schedule = serializers.SerializerMethodField()
    group_batch_size = serializers.IntegerField(allow_null=True)
    group_batch_in_use = serializers.SerializerMethodField()
    initial_sync_at = serializers.DateTimeField(allow_null=True)
    capabilities_checked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_full_sync_schedule(self, target: ScimTarget) -> str:
        """When the full sync runs, in words and the organisation's time zone."""
        return schedules.describe(target)

    def get_group_batch_in_use(self, target: ScimTarget) -> int:
        """Members one group request carries now (set, advertised or halved after a refusal)."""
        return group_batch.effective_batch(target)


class ScimRunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ScimRun.Kind.choices)
    status = serializers.ChoiceField(choices=ScimRun.Status.choices)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.IntegerField()
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    adopted = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    deleted = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    failed = serializers.IntegerField()
    requests = serializers.IntegerField()
    message = serializers.CharField()


def _target(target_id: int) -> ScimTarget:
    return get_object_or_404(scim_selectors.list_targets(), pk=target_id)


class ScimTargetListApi(ApiView):
    """List the downstream SCIM targets (secrets are never shown)."""

    capability = "provisioning.view_scimtarget"
    OutputSerializer = ScimTargetOutputSerializer

    @extend_schema(
        responses=page_of(ScimTargetOutputSerializer, "ScimTargetPage"),
        operation_id="scim_targets_list",
    )
    def get(self, request: Request) -> Response:
        return self.paginate(scim_selectors.list_targets(), self.OutputSerializer)


class ScimTargetDetailApi(ApiView):
    """Read a SCIM target with how many of its people are in sync, pending or failing."""

    capability = "provisioning.view_scimtarget"

    class OutputSerializer(ScimTargetOutputSerializer):
        links = serializers.SerializerMethodField()

        def get_links(self, target: ScimTarget) -> dict[str, int]:
            return self.context["links"]

    @extend_schema(responses=OutputSerializer, operation_id="scim_targets_read")
    def get(self, request: Request, target_id: int) -> Response:
        target = _target(target_id)
        links = scim_selectors.count_link_states(target)
        return Response(self.OutputSerializer(target, context={"links": links}).data)


class ScimTargetSyncApi(ApiView):
    """Sync a target now: match its users and push every difference (in the background)."""

    capability = "provisioning.change_scimtarget"

    class InputSerializer(StrictSerializer):
        pass

    OutputSerializer = ScimRunOutputSerializer

    @idempotent_schema(
        request=None,
        responses={202: ScimRunOutputSerializer},
        operation_id="scim_targets_sync",
    )
    def post(self, request: Request, target_id: int) -> Response:
        return self.act(
            _target(target_id), scim_services.start_sync, status_code=status.HTTP_202_ACCEPTED
        )


class ScimRunListApi(ApiView):
    """List a target's runs, newest first."""

    capability = "provisioning.view_scimtarget"
    cursor_ordering = "-id"
    OutputSerializer = ScimRunOutputSerializer

    @extend_schema(
        responses=page_of(ScimRunOutputSerializer, "ScimRunPage"), operation_id="scim_runs_list"
    )
    def get(self, request: Request, target_id: int) -> Response:
        return self.paginate(scim_selectors.list_runs(_target(target_id)), self.OutputSerializer)


class ScimRunDetailApi(ApiView):
    """Read one SCIM run: its progress and counts."""

    capability = "provisioning.view_scimtarget"
    OutputSerializer = ScimRunOutputSerializer

    @extend_schema(responses=ScimRunOutputSerializer, operation_id="scim_runs_read")
    def get(self, request: Request, run_id: int) -> Response:
        return Response(self.OutputSerializer(get_object_or_404(ScimRun, pk=run_id)).data)
