"""django-import-export's stock mapping of people, kept as a baseline.

``PlainPersonResource`` is what django-import-export does out of the box; the
spreadsheet import benchmark measures Roster's set-based import against its
per-row import. Product imports and exports never go through it: planning
and applying imports belong to ``provisioning.imports.services``, and the people
export streams its rows from there.
"""

from __future__ import annotations

from import_export import resources

from accounts.models import Person


class PlainPersonResource(resources.ModelResource):
    """django-import-export's default mapping of Person (for comparisons)."""

    class Meta:
        model = Person
        import_id_fields = ("email",)
        fields = (
            "email",
            "external_id",
            "first_name",
            "last_name",
            "full_name",
            "job_title",
            "department",
            "phone_number",
            "location",
        )
