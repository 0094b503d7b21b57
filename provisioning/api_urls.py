"""URLs of the import and provisioning APIs, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

from provisioning import apis

urlpatterns = [
    path("imports/", apis.ImportJobListApi.as_view(), name="import-list"),
    path("imports/create/", apis.ImportJobCreateApi.as_view(), name="import-create"),
    path("imports/<int:import_id>/", apis.ImportJobDetailApi.as_view(), name="import-detail"),
    path("imports/<int:import_id>/plan/", apis.ImportJobPlanApi.as_view(), name="import-plan"),
    path("imports/<int:import_id>/rows/", apis.ImportJobRowListApi.as_view(), name="import-rows"),
    path(
        "imports/<int:import_id>/confirm/",
        apis.ImportJobConfirmApi.as_view(),
        name="import-confirm",
    ),
    path("scim-targets/", apis.ScimTargetListApi.as_view(), name="scim-target-list"),
    path(
        "scim-targets/<int:target_id>/",
        apis.ScimTargetDetailApi.as_view(),
        name="scim-target-detail",
    ),
    path(
        "scim-targets/<int:target_id>/sync/",
        apis.ScimTargetSyncApi.as_view(),
        name="scim-target-sync",
    ),
    path(
        "scim-targets/<int:target_id>/runs/",
        apis.ScimRunListApi.as_view(),
        name="scim-run-list",
    ),
    path("scim-runs/<int:run_id>/", apis.ScimRunDetailApi.as_view(), name="scim-run-detail"),
    path("sources/", apis.IdentitySourceListApi.as_view(), name="source-list"),
    path(
        "sources/<int:source_id>/",
        apis.IdentitySourceDetailApi.as_view(),
        name="source-detail",
    ),
    path(
        "sources/<int:source_id>/sync/",
        apis.IdentitySourceSyncApi.as_view(),
        name="source-sync",
    ),
    path("sources/<int:source_id>/runs/", apis.SyncRunListApi.as_view(), name="sync-run-list"),
    path("sync-runs/<int:run_id>/", apis.SyncRunDetailApi.as_view(), name="sync-run-detail"),
]
