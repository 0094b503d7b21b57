"""import-export resources: how the audit log maps to spreadsheet columns.

Resources format rows only. The audit log is exported, never imported:
its rows are written by ``accounts.services`` alone.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from import_export import fields, resources

from accounts.models import LifecycleEvent
from accounts.spreadsheets import neutralise


class LifecycleEventResource(resources.ModelResource):
    """Audit events as rows a person can read: labels, not stored codes.

    Subjects, actors and reasons come from people's input, so every cell is
    neutralised before a spreadsheet program sees it.
    """

    when = fields.Field(column_name="When")
    action = fields.Field(column_name="Action")
    subject = fields.Field(column_name="Subject")
    actor_kind = fields.Field(column_name="Actor kind")
    actor = fields.Field(column_name="Actor")
    changes = fields.Field(column_name="Changes")
    reason = fields.Field(column_name="Reason")

    class Meta:
        model = LifecycleEvent
        fields = ("when", "action", "subject", "actor_kind", "actor", "changes", "reason")
        export_order = fields

    def dehydrate_when(self, event: LifecycleEvent) -> str:
        return timezone.localtime(event.created_at).isoformat(timespec="seconds")

    def dehydrate_action(self, event: LifecycleEvent) -> str:
        return event.get_action_display()

    def dehydrate_subject(self, event: LifecycleEvent) -> str:
        return event.subject

    def dehydrate_actor_kind(self, event: LifecycleEvent) -> str:
        return event.get_actor_kind_display()

    def dehydrate_actor(self, event: LifecycleEvent) -> str:
        return event.actor_label

    def dehydrate_changes(self, event: LifecycleEvent) -> str:
        if not event.changes:
            return ""
        return json.dumps(event.changes, ensure_ascii=False, separators=(",", ":"), default=str)

    def dehydrate_reason(self, event: LifecycleEvent) -> str:
        return event.reason

    def export_resource(
        self, instance: LifecycleEvent, selected_fields: Any = None, **kwargs: Any
    ) -> list[Any]:
        row = super().export_resource(instance, selected_fields, **kwargs)
        return [neutralise(value) for value in row]
