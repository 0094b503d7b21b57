"""REST API for spreadsheet imports.

Imports follow the admin's flow: upload (create) → plan (preview) → confirm
(applies in the background) → read the status. For System administrators
(auditors may read), as in the admin.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.actors import signed_in
from accounts.apis import ApiView, StrictSerializer, idempotent_schema, page_of
from provisioning.imports import selectors, services
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action


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
    remove_from_groups = serializers.BooleanField()
    group_changes = serializers.JSONField()
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
        remove_from_groups = serializers.BooleanField(
            required=False,
            default=False,
            help_text="With a Groups column: also remove people from spreadsheet-made "
            "groups their row no longer lists.",
        )
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
            upload, by=signed_in(request), filename=upload.name or "upload", **values
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
        remove_from_groups = serializers.BooleanField(required=False)

    OutputSerializer = ImportJobOutputSerializer

    @idempotent_schema(
        request=InputSerializer, responses=ImportJobOutputSerializer, operation_id="imports_plan"
    )
    def post(self, request: Request, import_id: int) -> Response:
        job = _job(import_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.plan_import(job, by=signed_in(request), **data.validated_data)
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
