"""Trigram indexes for the admin's people search (PostgreSQL only).

The admin searches names and emails with ``icontains``, which PostgreSQL runs
as ``UPPER(col) LIKE UPPER('%term%')``; a GIN trigram index over the same
expression answers it without reading the whole table. Other databases skip
this migration's work.
"""

from django.db import migrations

INDEXES = {
    "person_name_trgm_idx": "full_name",
    "person_email_trgm_idx": "email",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_person "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_person_name_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
