"""The admin pages of spreadsheet imports, and the People list's exports.

Upload → preview (counts, rows, errors, column choices) → options and
confirmation → progress → summary; every import stays listed with its
preview and error report. Each view checks the role, calls one service or
selector of ``provisioning`` and renders the result; uploaded files and
reports are served only through these permission-checked views.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters, ShowFacets
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from accounts.exceptions import DomainError
from accounts.models import Person
from provisioning.imports import selectors, services
from provisioning.imports.forms import ColumnMappingForm, ConfirmForm, SheetForm, UploadForm
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action

ROWS_PER_PAGE = 50
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

ACTION_LABELS = {
    Action.ERROR: "Errors",
    Action.NEW: "New",
    Action.UPDATE: "Updated",
    Action.DEACTIVATE: "Deactivated",
    Action.REACTIVATE: "Reactivated",
    Action.UNCHANGED: "Unchanged",
    Action.SKIPPED: "Skipped (staff)",
}
ROW_LABELS = {**ACTION_LABELS, Action.ERROR: "Error"}
ACTION_COLOURS = {
    Action.ERROR: "danger",
    Action.NEW: "success",
    Action.UPDATE: "info",
    Action.DEACTIVATE: "warning",
    Action.REACTIVATE: "success",
    Action.UNCHANGED: "",
    Action.SKIPPED: "warning",
}
STATUS_COLOURS = {
    ImportJob.Status.QUEUED: "info",
    ImportJob.Status.PLANNING: "info",
    ImportJob.Status.READY: "warning",
    ImportJob.Status.APPLYING: "info",
    ImportJob.Status.DONE: "success",
    ImportJob.Status.FAILED: "danger",
}
FIELD_LABELS = {
    "email": "Email",
    "external_id": "Employee ID",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "manager": "Manager",
    "job_title": "Job title",
    "department": "Department",
    "phone_number": "Phone number",
    "location": "Location",
    "status": "Status",
}
FIELD_ORDER = {name: position for position, name in enumerate(FIELD_LABELS)}
PERSON_STATUS_LABELS = dict(Person.Status.choices)


def _show(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(PERSON_STATUS_LABELS.get(value, value))
    return str(value)


def describe_row(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a stored plan row as the preview table shows it."""
    return {
        "row": entry.get("row"),
        "email": entry.get("email", ""),
        "name": entry.get("name", ""),
        "person_id": entry.get("person_id"),
        "action": entry["action"],
        "action_label": ROW_LABELS.get(entry["action"], entry["action"]),
        "colour": ACTION_COLOURS.get(entry["action"], ""),
        # An invalid row changes nothing; its errors say why.
        "changes": []
        if entry["action"] == Action.ERROR
        else [
            {
                "field": FIELD_LABELS.get(name, name),
                "old": _show(name, old),
                "new": _show(name, new),
            }
            for name, (old, new) in sorted(
                (entry.get("changes") or {}).items(),
                key=lambda item: FIELD_ORDER.get(item[0], len(FIELD_ORDER)),
            )
        ],
        "errors": entry.get("errors") or [],
        "reason": entry.get("reason", ""),
    }


def phase_of(job: ImportJob) -> str:
    """Which page an import shows: planning, preview, applying, done or failed."""
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.PLANNING):
        return "planning"
    if job.status == ImportJob.Status.READY:
        return "applying" if job.confirmed_at else "preview"
    if job.status == ImportJob.Status.APPLYING:
        return "applying"
    if job.status == ImportJob.Status.DONE:
        return "done"
    return "failed"


def invite_modes_for(user: Any) -> list[str]:
    """The invitation choices offered: all of them when invitations exist and
    the person may invite, else only "no invitations"."""
    try:
        from accounts.invitations import invite_people  # noqa: F401
    except ImportError:
        return [ImportJob.InviteMode.NONE]
    if not user.has_perm("accounts.add_invitation"):
        return [ImportJob.InviteMode.NONE]
    return list(ImportJob.InviteMode.values)


def _attachment(data: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(ImportJob)
class ImportJobAdmin(ModelAdmin):
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

    # --- permissions ------------------------------------------------------
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def can_apply(self, request: HttpRequest, job: ImportJob) -> bool:
        """Whether the page offers upload-side controls (mapping, options, confirm)."""
        if not self.has_add_permission(request):
            return False
        return not job.is_complete_list or request.user.has_perm(
            "provisioning.import_complete_list"
        )

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.list_import_jobs()

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

    def _url(self, view: str, *args: Any) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)

    def _job(self, request: HttpRequest, job_id: Any) -> ImportJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return selectors.get_import_job(int(job_id))
        except (ValueError, ImportJob.DoesNotExist) as exc:
            raise Http404("No such import.") from exc

    def _require_import(self, request: HttpRequest) -> None:
        if not self.has_add_permission(request):
            raise PermissionDenied

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
                    by=request.user,
                    filename=upload.name,
                    complete_list=form.cleaned_data.get("complete_list", False),
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

    # --- the import's page --------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self._job(request, object_id)
        return self._render_job(request, job)

    def _render_job(
        self,
        request: HttpRequest,
        job: ImportJob,
        *,
        confirm_form: ConfirmForm | None = None,
        mapping_form: ColumnMappingForm | None = None,
        sheet_form: SheetForm | None = None,
        status: int = 200,
    ) -> TemplateResponse:
        phase = phase_of(job)
        can_apply = self.can_apply(request, job)
        has_plan = job.planned_at is not None and phase in ("preview", "done", "failed")
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": f"Import #{job.pk}: {job.original_filename or 'no file'}",
            "opts": self.opts,
            "job": job,
            "phase": phase,
            "can_apply": can_apply,
            "has_plan": has_plan,
            "imports_url": self._url("changelist"),
            "upload_url": self._url("add"),
            "progress_url": self._url("progress", job.pk),
            "people_url": reverse("admin:accounts_person_changelist"),
            "job_url": self._url("change", job.pk),
        }
        if has_plan:
            context.update(self._preview_context(request, job))
        if phase == "preview" and can_apply:
            if mapping_form is None and context["mappable"]:
                mapping_form = ColumnMappingForm(job=job)
            if confirm_form is None:
                confirm_form = ConfirmForm(job=job, invite_modes=invite_modes_for(request.user))
            context.update(
                mapping_form=mapping_form,
                confirm_form=confirm_form,
                columns_url=self._url("columns", job.pk),
                confirm_url=self._url("confirm", job.pk),
                row_errors=job.count_errors - len(job.file_errors),
                time_zone=timezone.get_current_timezone_name(),
            )
        if phase == "failed" and can_apply and job.file and not job.file_deleted_at:
            context["replan_url"] = self._url("replan", job.pk)
        if phase in ("preview", "failed") and can_apply and len(job.sheet_names) > 1:
            context.update(
                sheet_form=sheet_form or SheetForm(job=job),
                sheet_url=self._url("sheet", job.pk),
            )
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/provisioning/importjob/job.html", context, status=status
        )

    def _preview_context(self, request: HttpRequest, job: ImportJob) -> dict[str, Any]:
        action = request.GET.get("action") or None
        if action not in (None, *Action.ALL):
            action = None
        stored = selectors.count_import_rows(job)
        rows = selectors.ImportRowSequence(job, action)
        page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        base = self._url("change", job.pk)
        tabs = [
            {
                "label": "All",
                "count": sum(stored.values()),
                "url": base,
                "active": action is None,
            },
            *[
                {
                    "label": ACTION_LABELS[name],
                    "count": stored[name],
                    "url": f"{base}?action={name}",
                    "active": action == name,
                }
                for name in Action.ALL
                if stored[name] or action == name
            ],
        ]
        query = f"action={action}&" if action else ""
        can_download_file = (
            self.has_add_permission(request) and bool(job.file) and not job.file_deleted_at
        )
        return {
            "tabs": tabs,
            "page": page,
            "rows": [describe_row(entry) for entry in page.object_list],
            "page_query": query,
            "page_range": list(page.paginator.get_elided_page_range(page.number)),
            "ellipsis": Paginator.ELLIPSIS,
            "cards": [
                {
                    "label": ACTION_LABELS[name],
                    "key": Action.COUNT_KEYS[name],
                    "count": job.counts[Action.COUNT_KEYS[name]],
                    "url": f"{base}?action={name}",
                }
                for name in (
                    Action.NEW,
                    Action.UPDATE,
                    Action.UNCHANGED,
                    Action.DEACTIVATE,
                    Action.REACTIVATE,
                    Action.SKIPPED,
                    Action.ERROR,
                )
                if name != Action.SKIPPED or job.counts["skipped"]
            ]
            + [
                {
                    "label": "Columns not imported",
                    "key": "not-imported",
                    "count": len(job.unresolved_columns),
                    "url": "#not-imported",
                }
            ],
            "unknown_columns": job.unresolved_columns,
            "not_imported_columns": job.not_imported_columns,
            "column_notes": job.column_notes,
            "mappable": any(
                c.get("header") and c.get("state") in ("unknown", "mapped", "ignored")
                for c in job.columns
            ),
            "error_csv_url": self._url("errors", job.pk, "csv") if job.count_errors else "",
            "error_xlsx_url": self._url("errors", job.pk, "xlsx") if job.count_errors else "",
            "file_url": self._url("file", job.pk) if can_download_file else "",
        }

    # --- choices on the preview ---------------------------------------------
    def _job_to_apply(self, request: HttpRequest, job_id: int) -> ImportJob:
        """The import whose preview ``request``'s user may change and confirm."""
        job = self._job(request, job_id)
        if not self.can_apply(request, job):
            raise PermissionDenied
        return job

    def _replan(
        self, request: HttpRequest, job: ImportJob, done: str = "", **choices: Any
    ) -> HttpResponse:
        """Have a worker make the preview again with ``choices``; say ``done`` if
        that was accepted."""
        try:
            services.queue_import_plan(job, by=request.user, **choices)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            if done:
                self.message_user(request, done)
        return HttpResponseRedirect(self._url("change", job.pk))

    @method_decorator(require_POST)
    def columns_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job_to_apply(request, job_id)
        form = ColumnMappingForm(request.POST, job=job)
        if not form.is_valid():
            return self._render_job(request, job, mapping_form=form, status=400)
        return self._replan(
            request,
            job,
            "The preview is being made again with your column choices.",
            mapping=form.mapping(),
        )

    @method_decorator(require_POST)
    def sheet_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job_to_apply(request, job_id)
        form = SheetForm(request.POST, job=job)
        if not form.is_valid():
            return self._render_job(request, job, sheet_form=form, status=400)
        sheet = form.cleaned_data["sheet"]
        return self._replan(
            request, job, f"The preview is being made again from the sheet “{sheet}”.", sheet=sheet
        )

    @method_decorator(require_POST)
    def replan_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        return self._replan(request, self._job_to_apply(request, job_id))

    @method_decorator(require_POST)
    def confirm_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job_to_apply(request, job_id)
        form = ConfirmForm(request.POST, job=job, invite_modes=invite_modes_for(request.user))
        if not form.is_valid():
            return self._render_job(request, job, confirm_form=form, status=400)
        data = form.cleaned_data
        try:
            services.confirm_import(
                job,
                by=request.user,
                confirm_text=data.get("confirm_text", ""),
                skip_invalid=data.get("skip_invalid", False),
                invite_mode=data.get("invite_mode") or ImportJob.InviteMode.NONE,
                invite_at=data.get("invite_at"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            job.refresh_from_db()
            return self._render_job(request, job, confirm_form=form, status=400)
        return HttpResponseRedirect(self._url("change", job.pk))

    # --- progress -----------------------------------------------------------
    def progress_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        job = self._job(request, job_id)
        progress = selectors.get_import_progress(job)
        job.refresh_from_db()
        phase = phase_of(job)
        finished = phase in ("preview", "done", "failed")
        percent = 100 if phase == "done" else progress.percent
        if phase != "applying" and phase != "done":
            percent = 0
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "phase": phase,
                "status_label": (
                    "Waiting for a worker"
                    if job.status == ImportJob.Status.READY and job.confirmed_at
                    else job.get_status_display()
                ),
                "processed": progress.processed,
                "total": progress.total,
                "percent": percent,
                "finished": finished,
                "counts": job.counts,
                "duration": job.duration,
                "error_message": job.error_message,
                "invite_note": job.invite_note,
            }
        )

    # --- downloads ------------------------------------------------------------
    def error_report_view(self, request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise Http404("Unknown format.")
        job = self._job(request, job_id)
        try:
            data = services.build_error_report(job, fmt, by=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        return _attachment(data, fmt, f"import-{job.pk}-errors.{fmt}")

    def file_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        self._require_import(request)
        try:
            stream = services.open_import_file(job, by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._url("change", job.pk))
        return FileResponse(
            stream,
            as_attachment=True,
            filename=job.original_filename or f"import-{job.pk}",
            content_type="application/octet-stream",
        )

    def template_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise Http404("Unknown format.")
        self._require_import(request)
        return _attachment(services.build_template(fmt), fmt, f"roster-people-template.{fmt}")

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        """The People list as it is filtered on screen, as CSV or XLSX."""
        if fmt not in FORMATS:
            raise Http404("Unknown format.")
        person_admin = self.admin_site._registry.get(Person)
        if person_admin is None or not person_admin.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = person_admin.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, "Those filters are not valid.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_person_changelist"))
        filename = f"people-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"
        try:
            if fmt == "csv":
                # Streamed: the first bytes leave at once, whatever the list's size.
                pieces = services.stream_people_csv(changelist.queryset, by=request.user)
            else:
                data = services.export_people(changelist.queryset, fmt, by=request.user)
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        if fmt != "csv":
            return _attachment(data, fmt, filename)
        response = StreamingHttpResponse(pieces, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    # --- links from elsewhere -------------------------------------------------
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "upload_url": self._url("add") if self.has_add_permission(request) else "",
        }
        return super().changelist_view(request, context)
