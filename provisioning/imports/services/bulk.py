"""Bulk writes for imports: COPY on PostgreSQL, bulk_create/bulk_update elsewhere."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from operator import attrgetter
from typing import Any

from django.db import connection, models
from django.db.models import ForeignObjectRel
from django.utils import timezone

BATCH = 1000


def insert_rows(
    model: type[models.Model], rows: Iterable[dict[str, Any]], *, with_pk: bool
) -> None:
    """Insert ``rows`` ({attname: value}; other columns get their defaults) in the
    current transaction.

    PostgreSQL gets one COPY (several times faster than INSERT for imports of
    this size); other databases get bulk_create, and each row gets its new
    "id". ``with_pk`` sends the ids the rows hold (allocated from the sequence).
    """
    if connection.vendor != "postgresql":
        rows = list(rows)
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        for row, obj in zip(rows, objs, strict=True):
            row["id"] = obj.pk
        return
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    now = timezone.now()
    makers: list[Any] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        elif f.has_default() and callable(f.default):
            default = f.default
        else:
            default = f.get_default()
        prepare = isinstance(f, models.JSONField) or getattr(f, "prepare_for_copy", False)
        makers.append((f.attname, default, prepare and f))
    columns = ", ".join(_column(f) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            values = []
            for attname, default, json_field in makers:
                if attname in row:
                    value = row[attname]
                else:
                    value = default() if callable(default) else default
                if json_field:
                    value = json_field.get_db_prep_save(value, connection)
                values.append(value)
            write(values)


def update_rows(model: type[models.Model], objs: list[Any], field_names: list[str]) -> None:
    """Write ``field_names`` of saved ``objs`` (UPDATE … FROM a COPY-filled temporary
    table on PostgreSQL; bulk_update elsewhere)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, field_names, batch_size=BATCH)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    fields = [pk, *(model._meta.get_field(name) for name in field_names)]
    table = quote(model._meta.db_table)
    scratch = quote(f"scratch_{model._meta.db_table}")
    columns = ", ".join(_column(f) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
    _copy(f"scratch_{model._meta.db_table}", fields, objs)
    assignments = ", ".join(f"{_column(f)} = s.{_column(f)}" for f in fields[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS s "
            f"WHERE t.{_column(pk)} = s.{_column(pk)}"
        )
        cursor.execute(f"DROP TABLE {scratch}")


def _copy(table: str, fields: list[Any], objs: list[Any]) -> None:
    quote = connection.ops.quote_name
    getters: list[Any] = []
    for f in fields:
        if isinstance(f, models.JSONField) or getattr(f, "auto_now_add", False):
            getters.append(partial(_prepared, f))
        else:
            getters.append(attrgetter(f.attname))
    columns = ", ".join(_column(f) for f in fields)
    sql = f"COPY {quote(table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for obj in objs:
            write([get(obj) for get in getters])


def _column(field: models.Field[Any, Any] | ForeignObjectRel) -> str:
    """Return the quoted column of a concrete field.

    The stubs type ``Field.column`` as optional (a field not yet bound to a
    model, or a reverse relation, has none); every field written here has one.
    """
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"“{field.name}” is not a column of its table.")
    return connection.ops.quote_name(field.column)


def _prepared(field: Any, obj: Any) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, True), connection)
