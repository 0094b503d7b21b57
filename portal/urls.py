from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import views

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", views.admin_login),
    path("admin/logout/", views.admin_logout),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("scim/v2/", include("provisioning.scim_server.urls")),
    path("", include("accounts.urls")),
]
