"""The registered admin of spreadsheet imports: the list of imports, the
upload page, and the URLs of every import page.

Upload → preview → options and confirmation → progress → summary; every
import stays listed with its preview and error report. Each view checks the
role, calls one service or selector and renders the result.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from provisioning.imports import services
from provisioning.imports.admin.display import STATUS_COLOURS
from provisioning.imports.admin.downloads import ImportDownloadViews
from provisioning.imports.admin.preview import ImportPreviewViews
from provisioning.imports.forms import UploadForm
from provisioning.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ImportPreviewViews, ImportDownloadViews):
    list_display = (
        "number",
        "file_name",
        "uploaded_by",
        "uploaded_at",
        "summary",
        "status_label",
        "took",
    )
    list_display_links = ("number", "file_name")
    list_select_related = ("created_by",)
    list_filter = (("status", ChoicesDropdownFilter),)
    list_filter_submit = True
    search_fields = ("original_filename",)
    list_per_page = 50
    show_facets = ShowFacets.NEVER
    actions = None
    change_list_template = "admin/provisioning/importjob/change_list.html"

    # --- list columns -----------------------------------------------------
    @display(description="Import", ordering="id")
    def number(self, obj: ImportJob) -> str:
        return f"#{obj.pk}"

    @display(description="File", ordering="original_filename")
    def file_name(self, obj: ImportJob) -> str:
        return obj.original_filename or "—"

    @display(description="Uploaded by", ordering="created_by__email")
    def uploaded_by(self, obj: ImportJob) -> str:
        return obj.created_by.display_name if obj.created_by else "—"

    @display(description="When", ordering="created_at")
    def uploaded_at(self, obj: ImportJob) -> Any:
        return obj.created_at

    @display(description="Changes")
    def summary(self, obj: ImportJob) -> str:
        if not obj.planned_at and obj.status != ImportJob.Status.DONE:
            return "—"
        parts = [
            f"{obj.count_new:,} new",
            f"{obj.count_updated:,} updated",
            f"{obj.count_unchanged:,} unchanged",
        ]
        if obj.count_deactivated:
            parts.append(f"{obj.count_deactivated:,} deactivated")
        if obj.count_reactivated:
            parts.append(f"{obj.count_reactivated:,} reactivated")
        if obj.count_skipped:
            parts.append(f"{obj.count_skipped:,} staff skipped")
        if obj.count_errors:
            parts.append(f"{obj.count_errors:,} errors")
        return ", ".join(parts)

    @display(description="Status", ordering="status", label=STATUS_COLOURS)
    def status_label(self, obj: ImportJob) -> tuple[str, str]:
        if obj.status == ImportJob.Status.READY and obj.confirmed_at:
            return ImportJob.Status.APPLYING, "Waiting to apply"
        return obj.status, obj.get_status_display()

    @display(description="Duration")
    def took(self, obj: ImportJob) -> str:
        seconds = obj.duration
        if seconds is None:
            return "—"
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"

    # --- urls -------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("template.<str:fmt>", wrap(self.template_view), name=f"{name}_template"),
            path("export/people.<str:fmt>", wrap(self.export_view), name=f"{name}_export"),
            path("<int:job_id>/columns/", wrap(self.columns_view), name=f"{name}_columns"),
            path("<int:job_id>/sheet/", wrap(self.sheet_view), name=f"{name}_sheet"),
            path("<int:job_id>/confirm/", wrap(self.confirm_view), name=f"{name}_confirm"),
            path("<int:job_id>/preview-again/", wrap(self.replan_view), name=f"{name}_replan"),
            path("<int:job_id>/progress/", wrap(self.progress_view), name=f"{name}_progress"),
            path(
                "<int:job_id>/errors.<str:fmt>",
                wrap(self.error_report_view),
                name=f"{name}_errors",
            ),
            path("<int:job_id>/file/", wrap(self.file_view), name=f"{name}_file"),
            *super().get_urls(),
        ]

    # --- upload -----------------------------------------------------------
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._require_import(request)
        can_complete = request.user.has_perm("provisioning.import_complete_list")
        if request.method == "POST" and "complete_list" in request.POST and not can_complete:
            # Not offered to this role, so a request carrying it was crafted.
            raise PermissionDenied
        form = UploadForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            can_complete_list=can_complete,
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                # The file is read by a worker, never while this request waits:
                # the job's page shows the preview coming, then the preview.
                job = services.start_import(
                    upload,
                    by=signed_in(request),
                    filename=upload.name,
                    complete_list=form.cleaned_data.get("complete_list", False),
                    remove_from_groups=form.cleaned_data.get("remove_from_groups", False),
                    queue_plan=True,
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return HttpResponseRedirect(self._url("change", job.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import people",
            "opts": self.opts,
            "form": form,
            "can_complete_list": can_complete,
            "template_csv_url": self._url("template", "csv"),
            "template_xlsx_url": self._url("template", "xlsx"),
            "imports_url": self._url("changelist"),
            "max_mb": services.limits().max_bytes // (1024 * 1024),
            "max_rows": services.limits().max_rows,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/provisioning/importjob/upload.html", context)

    # --- links from elsewhere -------------------------------------------------
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "upload_url": self._url("add") if self.has_add_permission(request) else "",
        }
        return super().changelist_view(request, context)
