"""URLs of the import and provisioning APIs, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

from provisioning.idp import api as idp_api
from provisioning.imports import api as import_api
from provisioning.scim import api as scim_api

urlpatterns = [
    path("imports/", import_api.ImportJobListApi.as_view(), name="import-list"),
    path("imports/create/", import_api.ImportJobCreateApi.as_view(), name="import-create"),
    path("imports/<int:import_id>/", import_api.ImportJobDetailApi.as_view(), name="import-detail"),
    path(
        "imports/<int:import_id>/plan/", import_api.ImportJobPlanApi.as_view(), name="import-plan"
    ),
    path(
        "imports/<int:import_id>/rows/",
        import_api.ImportJobRowListApi.as_view(),
        name="import-rows",
    ),
    path(
        "imports/<int:import_id>/confirm/",
        import_api.ImportJobConfirmApi.as_view(),
        name="import-confirm",
    ),
    path("scim-targets/", scim_api.ScimTargetListApi.as_view(), name="scim-target-list"),
    path(
        "scim-targets/<int:target_id>/",
        scim_api.ScimTargetDetailApi.as_view(),
        name="scim-target-detail",
    ),
    path(
        "scim-targets/<int:target_id>/sync/",
        scim_api.ScimTargetSyncApi.as_view(),
        name="scim-target-sync",
    ),
    path(
        "scim-targets/<int:target_id>/runs/",
        scim_api.ScimRunListApi.as_view(),
        name="scim-run-list",
    ),
    path("scim-runs/<int:run_id>/", scim_api.ScimRunDetailApi.as_view(), name="scim-run-detail"),
    path("sources/", idp_api.IdentitySourceListApi.as_view(), name="source-list"),
    path(
        "sources/<int:source_id>/",
        idp_api.IdentitySourceDetailApi.as_view(),
        name="source-detail",
    ),
    path(
        "sources/<int:source_id>/sync/",
        idp_api.IdentitySourceSyncApi.as_view(),
        name="source-sync",
    ),
    path("sources/<int:source_id>/runs/", idp_api.SyncRunListApi.as_view(), name="sync-run-list"),
    path("sync-runs/<int:run_id>/", idp_api.SyncRunDetailApi.as_view(), name="sync-run-detail"),
]
