"""Database helpers the apps share."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection, connections, models
from django.db.models.sql import UpdateQuery

# A write of at least this many rows refreshes the planner's statistics.
BULK_ROWS = 1000


def refresh_statistics(*tables: type[models.Model]) -> None:
    """Have PostgreSQL's planner see what a bulk write just did to ``tables``.

    Autovacuum analyses a table a while after it changed; until then the
    planner believes, say, that hardly anyone is Invited or that no email is
    queued, and plans each statement of a sending batch as a scan over every
    such row instead of a lookup of the batch's ids: ten times slower for as
    long as the statistics stay stale. ANALYZE samples a bounded number of
    rows, so this costs milliseconds even on large tables. Run it after
    commit: other transactions' plans should not see rows that may roll back,
    and the lock it takes should not be held for a whole transaction.
    """
    if connection.vendor != "postgresql" or not tables:
        return
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")


def update_returning_pks(queryset: models.QuerySet[Any], **values: Any) -> set[int]:
    """Run ``queryset.update(**values)`` and return the primary keys it changed.

    Django's update() only counts rows; a conditional claim over a batch must
    know which rows it won. PostgreSQL and SQLite (3.35+) support RETURNING.
    """
    # chain(klass) returns an instance of klass; the stubs say Query.
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    compiler = query.get_compiler(queryset.db)
    # Turns filters across relations into "pk IN (subquery)", as update() does.
    compiler.pre_sql_setup()
    sql, params = compiler.as_sql()
    if not sql:
        return set()
    db = connections[queryset.db]
    quote = db.ops.quote_name
    opts = queryset.model._meta
    pk_column = opts.pk.column if opts.pk is not None else None
    # A concrete model's primary key always has a column.
    assert pk_column is not None
    with db.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {quote(opts.db_table)}.{quote(pk_column)}", params)
        return {row[0] for row in cursor.fetchall()}
