"""URLs of the groups API, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import path

from accounts.groups import apis

urlpatterns = [
    path("groups/", apis.GroupListApi.as_view(), name="group-list"),
    path("groups/create/", apis.GroupCreateApi.as_view(), name="group-create"),
    path("groups/<int:group_id>/", apis.GroupDetailApi.as_view(), name="group-detail"),
    path("groups/<int:group_id>/update/", apis.GroupUpdateApi.as_view(), name="group-update"),
    path("groups/<int:group_id>/delete/", apis.GroupDeleteApi.as_view(), name="group-delete"),
    path(
        "groups/<int:group_id>/members/",
        apis.GroupMemberListApi.as_view(),
        name="group-member-list",
    ),
    path(
        "groups/<int:group_id>/members/add/",
        apis.GroupMembersAddApi.as_view(),
        name="group-members-add",
    ),
    path(
        "groups/<int:group_id>/members/remove/",
        apis.GroupMembersRemoveApi.as_view(),
        name="group-members-remove",
    ),
]
