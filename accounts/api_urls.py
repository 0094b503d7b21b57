"""URLs of the people and audit-log APIs, included under /api/ in the "api" namespace."""

from __future__ import annotations

from django.urls import include, path

from accounts import apis

urlpatterns = [
    path("people/", apis.PersonListApi.as_view(), name="person-list"),
    path("people/create/", apis.PersonCreateApi.as_view(), name="person-create"),
    path("people/<int:person_id>/", apis.PersonDetailApi.as_view(), name="person-detail"),
    path("people/<int:person_id>/update/", apis.PersonUpdateApi.as_view(), name="person-update"),
    path("people/<int:person_id>/invite/", apis.PersonInviteApi.as_view(), name="person-invite"),
    path("people/<int:person_id>/remind/", apis.PersonRemindApi.as_view(), name="person-remind"),
    path(
        "people/<int:person_id>/revoke-invitation/",
        apis.PersonRevokeInvitationApi.as_view(),
        name="person-revoke-invitation",
    ),
    path(
        "people/<int:person_id>/deactivate/",
        apis.PersonDeactivateApi.as_view(),
        name="person-deactivate",
    ),
    path(
        "people/<int:person_id>/reactivate/",
        apis.PersonReactivateApi.as_view(),
        name="person-reactivate",
    ),
    path("people/<int:person_id>/delete/", apis.PersonDeleteApi.as_view(), name="person-delete"),
    path("", include("accounts.groups.api_urls")),
    path("audit-events/", apis.AuditEventListApi.as_view(), name="audit-event-list"),
]
