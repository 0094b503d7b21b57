"""import-export resources: how people map to spreadsheet columns (formats only).

``PersonResource`` gives exports the import template's headers, so an export
re-imports with no changes. Planning and applying imports belong to
``provisioning.services``, never to resource hooks.
"""

from __future__ import annotations

from import_export import fields, resources

from accounts.models import Person
from provisioning.sources.spreadsheet import TEMPLATE_HEADERS


class PersonResource(resources.ModelResource):
    """People as rows with the template's column headers."""

    email = fields.Field(attribute="email", column_name=TEMPLATE_HEADERS["email"])
    external_id = fields.Field(attribute="external_id", column_name=TEMPLATE_HEADERS["external_id"])
    first_name = fields.Field(attribute="first_name", column_name=TEMPLATE_HEADERS["first_name"])
    last_name = fields.Field(attribute="last_name", column_name=TEMPLATE_HEADERS["last_name"])
    full_name = fields.Field(attribute="full_name", column_name=TEMPLATE_HEADERS["full_name"])
    manager_email = fields.Field(column_name=TEMPLATE_HEADERS["manager_email"])
    manager_external_id = fields.Field(column_name=TEMPLATE_HEADERS["manager_external_id"])
    job_title = fields.Field(attribute="job_title", column_name=TEMPLATE_HEADERS["job_title"])
    department = fields.Field(attribute="department", column_name=TEMPLATE_HEADERS["department"])
    phone_number = fields.Field(column_name=TEMPLATE_HEADERS["phone_number"])
    location = fields.Field(attribute="location", column_name=TEMPLATE_HEADERS["location"])
    status = fields.Field(column_name=TEMPLATE_HEADERS["is_active"])

    class Meta:
        model = Person
        fields = (
            "email",
            "external_id",
            "first_name",
            "last_name",
            "full_name",
            "manager_email",
            "manager_external_id",
            "job_title",
            "department",
            "phone_number",
            "location",
            "status",
        )
        export_order = fields

    def dehydrate_external_id(self, person: Person) -> str:
        return person.external_id or ""

    def dehydrate_manager_email(self, person: Person) -> str:
        return person.manager.email if person.manager_id else ""

    def dehydrate_manager_external_id(self, person: Person) -> str:
        return (person.manager.external_id or "") if person.manager_id else ""

    def dehydrate_phone_number(self, person: Person) -> str:
        return person.phone_display

    def dehydrate_status(self, person: Person) -> str:
        return person.get_status_display()


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
