from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from portal import sent_mail, views
from portal.api import api_not_found

# The REST API (docs/api.md); URL names live in the "api" namespace.
api_patterns: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("provisioning.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^(?P<rest>[\s\S]*)$", api_not_found),  # newlines too
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", views.admin_login),
    path("admin/logout/", views.admin_logout),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("scim/v2/", include("provisioning.scim_server.urls")),
    path("api/", include((api_patterns, "api"))),
    path("", include("accounts.urls")),
]

# Refusals inside the admin keep its layout and say what the role may open.
handler403 = "portal.views.permission_denied"

# The admin's "Sent mail" page (embedded default only), ahead of the admin's
# own catch-all.
urlpatterns = sent_mail.urls() + urlpatterns
