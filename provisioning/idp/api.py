"""REST API for identity providers: read them and their sync runs, start a sync.

Configuring providers stays in the admin. For System administrators
(auditors may read), as in the admin.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import ApiView, StrictSerializer, idempotent_schema, page_of
from provisioning.idp import services as idp_services
from provisioning.idp.models import IdentitySource, SyncRun


class IdentitySourceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=IdentitySource.Kind.choices)
    status = serializers.ChoiceField(choices=IdentitySource.Status.choices)
    is_enabled = serializers.BooleanField()
    scope_kind = serializers.ChoiceField(choices=IdentitySource.ScopeKind.choices)
    scope_values = serializers.JSONField()
    group_scope = serializers.ChoiceField(choices=IdentitySource.GroupScope.choices)
    # Provider ids of the chosen groups (group_scope "chosen").
    group_keys = serializers.JSONField()
    sync_interval_minutes = serializers.IntegerField()
    last_error = serializers.CharField()
    last_synced_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    running_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SyncRunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SyncRun.Status.choices)
    trigger = serializers.ChoiceField(choices=SyncRun.Trigger.choices)
    is_incremental = serializers.BooleanField()
    is_dry_run = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    group_counts = serializers.DictField(child=serializers.IntegerField())
    # [{"action", "name", "old_name", "joins", "leaves"}] and [{"group", "message"}].
    group_changes = serializers.JSONField()
    group_warnings = serializers.JSONField()
    deactivation_threshold = serializers.IntegerField()
    error_message = serializers.CharField()
    # [{"email", "messages"}]: people imported with attributes left empty.
    warnings = serializers.JSONField()
    requested_by_id = serializers.IntegerField(allow_null=True)
    decided_by_id = serializers.IntegerField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared in the class body, a field named "errors" would hide
        # Serializer.errors; it is added here, in its place in the output.
        fields: dict[str, serializers.Field] = {}
        for name, field in super().get_fields().items():
            if name == "error_message":
                fields["errors"] = serializers.JSONField()
            fields[name] = field
        return fields


def _source(source_id: int) -> IdentitySource:
    return get_object_or_404(IdentitySource, pk=source_id)


class IdentitySourceListApi(ApiView):
    """List the connected identity providers (credentials are never shown)."""

    capability = "provisioning.view_identitysource"
    OutputSerializer = IdentitySourceOutputSerializer

    @extend_schema(
        responses=page_of(IdentitySourceOutputSerializer, "IdentitySourcePage"),
        operation_id="sources_list",
    )
    def get(self, request: Request) -> Response:
        return self.paginate(IdentitySource.objects.all(), self.OutputSerializer)


class IdentitySourceDetailApi(ApiView):
    """Read one identity provider."""

    capability = "provisioning.view_identitysource"
    OutputSerializer = IdentitySourceOutputSerializer

    @extend_schema(responses=IdentitySourceOutputSerializer, operation_id="sources_read")
    def get(self, request: Request, source_id: int) -> Response:
        return Response(self.OutputSerializer(_source(source_id)).data)


class IdentitySourceSyncApi(ApiView):
    """Sync a source now and answer with the run: applied, a preview (first run), paused
    for approval (deactivation guard), a dry run, or failed with the reason."""

    capability = "provisioning.change_identitysource"

    class InputSerializer(StrictSerializer):
        dry_run = serializers.BooleanField(required=False, default=False)
        full = serializers.BooleanField(
            required=False, default=False, help_text="Read everything, not only changes."
        )

    OutputSerializer = SyncRunOutputSerializer

    @idempotent_schema(
        request=InputSerializer,
        responses={201: SyncRunOutputSerializer},
        operation_id="sources_sync",
    )
    def post(self, request: Request, source_id: int) -> Response:
        return self.act(
            _source(source_id),
            idp_services.run_sync,
            status_code=status.HTTP_201_CREATED,
            trigger=SyncRun.Trigger.MANUAL,
        )


class SyncRunListApi(ApiView):
    """List a source's sync runs, newest first."""

    capability = "provisioning.view_identitysource"
    cursor_ordering = "-id"
    OutputSerializer = SyncRunOutputSerializer

    @extend_schema(
        responses=page_of(SyncRunOutputSerializer, "SyncRunPage"), operation_id="sync_runs_list"
    )
    def get(self, request: Request, source_id: int) -> Response:
        source = _source(source_id)
        return self.paginate(SyncRun.objects.filter(source=source), self.OutputSerializer)


class SyncRunDetailApi(ApiView):
    """Read one sync run: what it found and what it changed."""

    capability = "provisioning.view_identitysource"
    OutputSerializer = SyncRunOutputSerializer

    @extend_schema(responses=SyncRunOutputSerializer, operation_id="sync_runs_read")
    def get(self, request: Request, run_id: int) -> Response:
        return Response(self.OutputSerializer(get_object_or_404(SyncRun, pk=run_id)).data)
