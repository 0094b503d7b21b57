"""The list of saved column choices: read by every admin role, deleted (with
Django's confirmation page) by System administrators and Account managers.

Choices are saved from an import's preview, never typed here, so the pages
offer no add or change form. Deleting calls the service, which audits it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin
from unfold.decorators import display

from accounts.actors import signed_in
from provisioning.imports import services
from provisioning.imports.models import SavedColumnMapping
from provisioning.imports.reader import attribute_label, normalise_header


@admin.register(SavedColumnMapping)
class SavedColumnMappingAdmin(ModelAdmin):
    list_display = ("columns", "choices", "saved_by_name", "saved_at", "times_applied")
    list_display_links = ("columns",)
    list_select_related = ("saved_by",)
    list_per_page = 50
    search_fields = ("headers",)
    actions = None
    fields = (
        "columns",
        "choice_list",
        "saved_by_name",
        "saved_at",
        "times_applied",
        "last_applied_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @display(description="Files with the columns")
    def columns(self, obj: SavedColumnMapping) -> str:
        labels = obj.header_labels or obj.headers
        shown = ", ".join(labels[:6])
        return f"{shown}, … ({len(labels)} columns)" if len(labels) > 6 else shown

    @display(description="Choices")
    def choices(self, obj: SavedColumnMapping) -> str:
        return "; ".join(_choices(obj))

    @display(description="Choices")
    def choice_list(self, obj: SavedColumnMapping) -> SafeString:
        return format_html_join("", "<p>{}</p>", ((text,) for text in _choices(obj)))

    @display(description="Saved by", ordering="saved_by__email")
    def saved_by_name(self, obj: SavedColumnMapping) -> str:
        return obj.saved_by.display_name if obj.saved_by else "—"

    def delete_model(self, request: HttpRequest, obj: SavedColumnMapping) -> None:
        services.delete_saved_column_mapping(obj, by=signed_in(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            services.delete_saved_column_mapping(obj, by=signed_in(request))


def _choices(obj: SavedColumnMapping) -> list[str]:
    """Each choice, naming the column as the file that saved it wrote it."""
    labels = {normalise_header(label): label for label in obj.header_labels}
    return [
        f"{labels.get(key, key)}: not imported"
        if value is None
        else f"{labels.get(key, key)} → {attribute_label(value)}"
        for key, value in obj.mapping.items()
    ]
