"""SCIM 2.0 URLs, mounted at /scim/v2/ by portal/urls.py."""

from django.urls import path, re_path

from provisioning.scim_server import group_views, root_search, views

app_name = "scim_server"

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config_view, name="config"),
    path("Schemas", views.schemas_view, name="schemas"),
    path("Schemas/<str:schema_id>", views.schema_view, name="schema"),
    path("ResourceTypes", views.resource_types_view, name="resource-types"),
    path("ResourceTypes/<str:type_id>", views.resource_type_view, name="resource-type"),
    path("Users", views.users_view, name="users"),
    path("Users/.search", views.search_view, name="users-search"),
    path(".search", root_search.root_search_view, name="search"),
    path("Users/<str:person_id>", views.user_view, name="user"),
    path("Groups", group_views.groups_view, name="groups"),
    path("Groups/.search", group_views.groups_search_view, name="groups-search"),
    path("Groups/<str:group_id>", group_views.group_view, name="group"),
    re_path(r"^(?P<rest>.*)$", views.not_found_view, name="not-found"),
]
