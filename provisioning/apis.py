"""REST API for spreadsheet imports, SCIM targets and identity-provider syncs.

Imports follow the admin's flow: upload (create) → plan (preview) → confirm
(applies in the background) → read the status. Targets and sources are read
and triggered here; configuring them stays in the admin. Integrations are
for System administrators (auditors may read), as in the admin.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import ApiView, StrictSerializer, idempotent_schema, page_of
from provisioning import selectors, services
from provisioning.models import ImportJob
from provisioning.reconcile import Action
from provisioning.scim import selectors as scim_selectors
from provisioning.scim import services as scim_services
from provisioning.scim.models import ScimRun, ScimTarget
from provisioning.sources import idp_services
from provisioning.sources.idp_models import IdentitySource, SyncRun

# --- imports -------------------------------------------------------------------


class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    original_filename = serializers.CharField()
    file_format = serializers.CharField()
    file_size = serializers.IntegerField()
    sheet = serializers.CharField()
    is_complete_list = serializers.BooleanField()
    skip_invalid = serializers.BooleanField()
    column_mapping = serializers.JSONField()
    columns = serializers.JSONField()
    file_errors = serializers.JSONField()
    file_notes = serializers.JSONField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    deactivation_threshold = serializers.IntegerField()
    needs_confirmation = serializers.BooleanField()
    confirmation_phrase = serializers.CharField()
    error_message = serializers.CharField()
    created_by_id = serializers.IntegerField(allow_null=True)
    applied_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    planned_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def _job(import_id: int) -> ImportJob:
    return get_object_or_404(selectors.list_import_jobs(), pk=import_id)


class ImportJobListApi(ApiView):
    """List spreadsheet imports, newest first."""

    capability = "provisioning.view_importjob"
    cursor_ordering = "-id"
    OutputSerializer = ImportJobOutputSerializer

    @extend_schema(
        responses=page_of(ImportJobOutputSerializer, "ImportJobPage"), operation_id="imports_list"
    )
    def get(self, request: Request) -> Response:
        return self.paginate(selectors.list_import_jobs(), self.OutputSerializer)


class ImportJobDetailApi(ApiView):
    """Read an import: its preview's counts, or how far applying it has got."""

    capability = "provisioning.view_importjob"

    class OutputSerializer(ImportJobOutputSerializer):
        progress = serializers.SerializerMethodField()

        def get_progress(self, job: ImportJob) -> dict[str, int]:
            progress = self.context["progress"]
            return {
                "processed": progress.processed,
                "total": progress.total,
                "percent": progress.percent,
            }

    @extend_schema(responses=OutputSerializer, operation_id="imports_read")
    def get(self, request: Request, import_id: int) -> Response:
        job = _job(import_id)
        progress = selectors.get_import_progress(job)
        return Response(self.OutputSerializer(job, context={"progress": progress}).data)


class ImportJobCreateApi(ApiView):
    """Upload a CSV or XLSX file (multipart/form-data) as a new import awaiting its preview."""

    capability = "provisioning.add_importjob"
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(StrictSerializer):
        file = serializers.FileField()
        complete_list = serializers.BooleanField(required=False, default=False)
        skip_invalid = serializers.BooleanField(required=False, default=False)
        sheet = serializers.CharField(max_length=100, required=False, default="")
        mapping = serializers.JSONField(
            required=False,
            binary=True,
            help_text='What unknown columns hold, as JSON: {"Header": "attribute" or null}.',
        )

    OutputSerializer = ImportJobOutputSerializer

    @idempotent_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportJobOutputSerializer},
        operation_id="imports_create",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("file")
        job = services.start_import(
            upload, by=request.user, filename=upload.name or "upload", **values
        )
        return Response(self.OutputSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportJobPlanApi(ApiView):
    """Read the file and plan every change (the preview); writes no person."""

    capability = "provisioning.add_importjob"

    class InputSerializer(StrictSerializer):
        mapping = serializers.DictField(
            child=serializers.CharField(allow_null=True, max_length=100),
            required=False,
            help_text="What unknown columns hold: {header: attribute, or null to ignore it}.",
        )
        sheet = serializers.CharField(max_length=100, required=False)
        skip_invalid = serializers.BooleanField(required=False)

    OutputSerializer = ImportJobOutputSerializer

    @idempotent_schema(
        request=InputSerializer, responses=ImportJobOutputSerializer, operation_id="imports_plan"
    )
    def post(self, request: Request, import_id: int) -> Response:
        job = _job(import_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.plan_import(job, by=request.user, **data.validated_data)
        return Response(self.OutputSerializer(job).data)


class ImportJobRowListApi(ApiView):
    """Page through the planned rows of an import (all actions, errors first, or one)."""

    capability = "provisioning.view_importjob"

    class FilterSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(Action.ALL), required=False)
        offset = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0)
        limit = serializers.IntegerField(min_value=1, max_value=500, default=50)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        results = serializers.ListField(child=serializers.JSONField())

    @extend_schema(
        parameters=[FilterSerializer], responses=OutputSerializer, operation_id="imports_rows"
    )
    def get(self, request: Request, import_id: int) -> Response:
        job = _job(import_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.ImportRowSequence(job, filters.validated_data.get("action"))
        start = filters.validated_data["offset"]
        page = rows[start : start + filters.validated_data["limit"]]
        return Response(self.OutputSerializer({"count": len(rows), "results": page}).data)


class ImportJobConfirmApi(ApiView):
    """Accept the preview; the import is applied in the background (poll its status)."""

    capability = "provisioning.add_importjob"

    class InputSerializer(StrictSerializer):
        confirm_text = serializers.CharField(
            max_length=100,
            required=False,
            default="",
            allow_blank=True,
            help_text="Needed when the import deactivates many people: DEACTIVATE <n>.",
        )

    OutputSerializer = ImportJobOutputSerializer

    @idempotent_schema(
        request=InputSerializer,
        responses={202: ImportJobOutputSerializer},
        operation_id="imports_confirm",
    )
    def post(self, request: Request, import_id: int) -> Response:
        return self.act(
            _job(import_id), services.confirm_import, status_code=status.HTTP_202_ACCEPTED
        )


# --- SCIM targets -----------------------------------------------------------------


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
    initial_sync_at = serializers.DateTimeField(allow_null=True)
    capabilities_checked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


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


# --- identity-provider sources ------------------------------------------------------


class IdentitySourceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=IdentitySource.Kind.choices)
    status = serializers.ChoiceField(choices=IdentitySource.Status.choices)
    is_enabled = serializers.BooleanField()
    scope_kind = serializers.ChoiceField(choices=IdentitySource.ScopeKind.choices)
    scope_values = serializers.JSONField()
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
    deactivation_threshold = serializers.IntegerField()
    errors = serializers.JSONField()
    error_message = serializers.CharField()
    requested_by_id = serializers.IntegerField(allow_null=True)
    decided_by_id = serializers.IntegerField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


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


__all__ = [
    "IdentitySourceDetailApi",
    "IdentitySourceListApi",
    "IdentitySourceSyncApi",
    "ImportJobConfirmApi",
    "ImportJobCreateApi",
    "ImportJobDetailApi",
    "ImportJobListApi",
    "ImportJobPlanApi",
    "ImportJobRowListApi",
    "ScimRunDetailApi",
    "ScimRunListApi",
    "ScimTargetDetailApi",
    "ScimTargetListApi",
    "ScimTargetSyncApi",
    "SyncRunDetailApi",
    "SyncRunListApi",
]
