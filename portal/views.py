from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.defaults import permission_denied as django_permission_denied


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers; for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the admin's sign-in to allauth's page, keeping ?next=.

    Someone already signed in lands here when the admin refuses them: they
    get a page saying so, rather than a sign-in page that sends them back
    to the admin in a loop.
    """
    if not request.user.is_authenticated:
        url = reverse("account_login")
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{url}?{query}" if query else url)
    if request.user.is_staff:
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        return redirect(next_url)
    return render(request, "account/admin_access_denied.html", status=403)


def admin_logout(request: HttpRequest) -> HttpResponse:
    """Hand the admin's sign-out to allauth; a 307 keeps the POST (and its CSRF token)."""
    return redirect("account_logout", preserve_request=True)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403; inside the admin, in its layout with the pages the role may open.

    Staff who follow a link their role does not cover (an Account manager to
    SCIM targets, an Auditor to an add form) get the admin's navigation and a
    list of what they can do instead, not a bare error page.
    """
    user = getattr(request, "user", None)
    if not (request.path.startswith("/admin/") and user and user.is_active and user.is_staff):
        return django_permission_denied(request, exception)
    from django.contrib import admin

    context = admin.site.each_context(request)
    pages = [
        {"name": model["name"], "url": model["admin_url"], "app": app["name"]}
        for app in context["available_apps"]
        for model in app["models"]
        if model.get("admin_url")
    ]
    context.update(title="You cannot open this page", pages=pages, role=user.get_role_display())
    return render(request, "admin/permission_denied.html", context, status=403)
