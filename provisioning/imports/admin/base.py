"""What every import page shares: the permissions, the acting person, the
import a URL names, and the URLs of the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from unfold.admin import ModelAdmin

from provisioning.imports import selectors
from provisioning.imports.models import ImportJob


class ImportJobAdminBase(ModelAdmin):
    """The helpers of the import pages; ``ImportJobAdmin`` is the registered admin."""

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
