"""Files the import pages serve: the template, an import's error report and
uploaded file, and the People list's export. Only through these
permission-checked views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from accounts.actors import signed_in
from accounts.exceptions import DomainError
from accounts.models import Person
from provisioning.imports import services
from provisioning.imports.admin.base import ImportJobAdminBase

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(data: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportDownloadViews(ImportJobAdminBase):
    """The downloads of the import pages."""

    # --- downloads ------------------------------------------------------------
    def error_report_view(self, request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise Http404("Unknown format.")
        job = self._job(request, job_id)
        try:
            data = services.build_error_report(job, fmt, by=signed_in(request))
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        return _attachment(data, fmt, f"import-{job.pk}-errors.{fmt}")

    def file_view(self, request: HttpRequest, job_id: int) -> HttpResponseBase:
        job = self._job(request, job_id)
        self._require_import(request)
        try:
            stream = services.open_import_file(job, by=signed_in(request))
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

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
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
                pieces = services.stream_people_csv(changelist.queryset, by=signed_in(request))
            else:
                data = services.export_people(changelist.queryset, fmt, by=signed_in(request))
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc
        if fmt != "csv":
            return _attachment(data, fmt, filename)
        response = StreamingHttpResponse(pieces, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
