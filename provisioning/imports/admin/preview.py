"""The import's page and its flow: planning → preview (counts, rows, errors,
column and sheet choices) → options and confirmation → progress → summary."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from provisioning.imports import selectors, services
from provisioning.imports.admin.base import ImportJobAdminBase
from provisioning.imports.admin.display import (
    ACTION_LABELS,
    describe_row,
    invite_modes_for,
    phase_of,
)
from provisioning.imports.forms import ColumnMappingForm, ConfirmForm, SheetForm
from provisioning.imports.models import ImportJob
from provisioning.reconcile import Action

ROWS_PER_PAGE = 50


class ImportPreviewViews(ImportJobAdminBase):
    """The import's page, the choices made on its preview, and its progress."""

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
            services.queue_import_plan(job, by=signed_in(request), **choices)
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
        mapping = form.mapping()
        done = "The preview is being made again with your column choices."
        if form.cleaned_data.get("remember"):
            try:
                services.save_column_mapping(job.headers, mapping=mapping, by=signed_in(request))
            except DomainError as exc:
                form.add_error("remember", exc.message)
                return self._render_job(request, job, mapping_form=form, status=400)
            done = (
                "The preview is being made again with your column choices; they will be "
                "applied to the next file with these headers."
            )
        return self._replan(request, job, done, mapping=mapping)

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
                by=signed_in(request),
                confirm_text=data.get("confirm_text", ""),
                skip_invalid=data.get("skip_invalid", False),
                invite_mode=data.get("invite_mode") or ImportJob.InviteMode.NONE,
                invite_at=data.get("invite_at"),
                invite_days_before=data.get("invite_days_before") or 0,
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
