"""Set-based row writing shared by the police import and the generator.

PostgreSQL gets `COPY … FROM STDIN` through psycopg 3 (`cursor.copy()`),
SQLite gets `executemany` in batches. Callers pass tuples in the order of the
columns they name; `TableWriter` fills every other column of the model with
its default, so a field added to a model later (with a default) does not
break the bulk paths — a unique column with a callable default (the
travelling records' `uuid`, pims.lib.identity) gets a fresh value per row.
Both run inside the caller's transaction.
"""

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model

SQLITE_BATCH = 5000


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def adapt_value(value):
    """A Python value as the driver should receive it in a raw statement."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if connection.vendor == "sqlite" and isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Append rows to `table`: COPY on PostgreSQL, batched executemany elsewhere."""
    collist = ", ".join(quote(c) for c in columns)
    n = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({collist}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({collist}) VALUES ({marks})"  # noqa: S608  (names from _meta)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


def update_columns(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Set `columns` of existing rows: each row is (pk, value, …). One
    prepared UPDATE by primary key, executemany in batches (pipelined on
    psycopg 3) — unlike Django's bulk_update, whose CASE WHEN statement grows
    with the batch and costs quadratic planning time."""
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608  (names from _meta)
    n, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append((*row[1:], row[0]))
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                n, batch = n + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            n += len(batch)
    return n


class TableWriter:
    """Rows for one model given as tuples of `columns`; the model's other
    columns get their defaults (NULL when nullable without a default)."""

    def __init__(self, model: type[Model], columns: Sequence[str]):
        self.model = model
        self.table = model._meta.db_table
        self.columns = list(columns)
        known = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(self.columns) - set(known)
        if unknown:
            raise ImproperlyConfigured(f"{self.table} has no columns {sorted(unknown)}")
        # The auto primary key is left to the database unless the caller names it.
        rest = [f for c, f in known.items() if c not in self.columns and not f.primary_key]
        for f in rest:
            if not f.has_default() and not f.null and not f.blank:
                raise ImproperlyConfigured(f"{self.table}.{f.column} needs a value: no default, not nullable")
        # One value per row for the fresh columns, one for all rows otherwise.
        fresh = [f for f in rest if fresh_per_row(f)]
        same = [f for f in rest if not fresh_per_row(f)]
        self.fresh = [_fresh_value(f) for f in fresh]
        self.rest_columns = [f.column for f in fresh + same]
        self.rest_values = tuple(adapt_value(_default(f)) for f in same)

    def write(self, rows: Iterable[Sequence]) -> int:
        tail, fresh = self.rest_values, self.fresh
        if not fresh:
            out = (tuple(r) + tail for r in rows)
        elif len(fresh) == 1:
            (make,) = fresh
            out = ((*r, make(), *tail) for r in rows)
        else:
            out = ((*r, *(make() for make in fresh), *tail) for r in rows)
        return copy_rows(self.table, self.columns + self.rest_columns, out)


def fresh_per_row(field) -> bool:
    """A unique column cannot share one default across rows."""
    return field.unique and field.has_default() and callable(field.default)


def _fresh_value(field):
    """A maker of the field's default as the driver takes it (a UUIDField:
    a UUID on PostgreSQL, 32 hex digits on SQLite)."""
    prep = field.get_db_prep_value

    def make():
        return prep(field.default(), connection, prepared=False)

    return make


def _default(field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return ""  # blank text fields without a default (e.g. a FileField)


def max_id(model: type[Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(model._meta.db_table)}")  # noqa: S608
        return cursor.fetchone()[0]


def reset_sequences(models: Sequence[type[Model]]) -> None:
    """After rows were written with explicit ids (PostgreSQL only needs it)."""
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def lock_tables(models: Sequence[type[Model]]) -> None:
    """Keep other writers out of these tables until the transaction ends
    (readers go on). On SQLite the first write takes the database lock."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(quote(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
