"""Pages for invited people and for people managing their own account."""

from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitation/new-link/", views.new_link, name="new-link"),
    path("invitation/<str:token>/", views.claim, name="claim"),
    path("me/", views.your_account, name="your-account"),
]
