"""The base of every admin page whose add and change forms save through a service."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.http import HttpRequest, HttpResponse
from unfold.admin import ModelAdmin

from accounts.actors import signed_in
from accounts.admin_views import memoise_unfold_result_headers
from accounts.admin_widgets import UnfoldWidgetsMixin
from accounts.exceptions import DomainError


class _Refused(Exception):
    """A service refused the submitted form; carries the form, errors attached."""

    def __init__(self, form: Any) -> None:
        super().__init__()
        self.form = form


# The refused form of a request being rendered again, for get_form to return.
_refused_forms: WeakKeyDictionary[HttpRequest, Any] = WeakKeyDictionary()

memoise_unfold_result_headers()


class ServiceAdmin(ModelAdmin):
    """A ModelAdmin whose add/change forms save through a service.

    The form's ``save_through_services(by=...)`` does the write. When the
    service refuses, the transaction Django opened for the POST is rolled
    back and the same form is shown again with the service's messages on the
    fields they concern.
    """

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Django's bulk delete bypasses the services.
        actions.pop("delete_selected", None)
        return actions

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        refused = _refused_forms.get(request)
        if refused is not None:
            return lambda *args, **kw: refused
        form = super().get_form(request, obj, change, **kwargs)
        # Fields the form declares itself get the admin theme's widgets too.
        return type(form.__name__, (UnfoldWidgetsMixin, form), {"__module__": form.__module__})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # Render the refused form the way Django renders an invalid one.
            _refused_forms[request] = refused.form
            method, request.method = request.method, "GET"
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            finally:
                request.method = method
                del _refused_forms[request]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = form.save_through_services(by=signed_in(request))
        except DomainError as exc:
            form.show_domain_error(exc)
            raise _Refused(form) from exc
        # Django goes on with ``obj`` (messages, redirect, admin log).
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass
