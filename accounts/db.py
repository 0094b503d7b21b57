"""Database helpers the apps share."""

from __future__ import annotations

from django.db import connection, models

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
