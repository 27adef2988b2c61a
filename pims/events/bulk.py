"""A bulk UPDATE that stays linear in the number of rows.

Django's `bulk_update` writes one `CASE WHEN pk=… THEN …` expression per
field per batch: building and evaluating it grows with rows × batch size ×
fields, which for a month of events (thousands of persons and spells) cost
seconds of pure overhead. Here every batch is one statement joining the
table to a list of rows:

    WITH v(id, a, b) AS (VALUES (%s, %s, %s), …)
    UPDATE t SET a = v.a, b = v.b FROM v WHERE t.id = v.id

(SQLite ≥ 3.33). On PostgreSQL the rows travel as one array per column —
`FROM unnest(%s::bigint[], %s::date[], …) AS v(id, a, …)` — so a batch has
a handful of parameters instead of thousands (the driver's cost of
preparing a statement grows with its placeholders).

`any_of` does the same for the id lists the engine filters on.
"""

from django.db import connection, connections, router
from django.db.models import Q
from django.db.models.expressions import RawSQL

BATCH_ROWS = 500


def _value(obj, field, conn):
    if field.is_relation:
        cached = obj._state.fields_cache.get(field.name)
        raw = cached.pk if cached is not None else getattr(obj, field.attname)
        return field.target_field.get_db_prep_save(raw, conn)
    return field.get_db_prep_save(getattr(obj, field.attname), conn)


def bulk_update(model, objs, field_names: list[str]) -> int:
    objs = [o for o in objs if o.pk is not None]
    if not objs:
        return 0
    conn = connections[router.db_for_write(model)]
    qn = conn.ops.quote_name
    pk = model._meta.pk
    fields = [pk] + [model._meta.get_field(name) for name in field_names]
    columns = ", ".join(qn(f.column) for f in fields)
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
    table = qn(model._meta.db_table)
    where = f"{table}.{qn(pk.column)} = v.{qn(pk.column)}"
    with conn.cursor() as cursor:
        for start in range(0, len(objs), BATCH_ROWS):
            rows = [[_value(o, f, conn) for f in fields] for o in objs[start : start + BATCH_ROWS]]
            if conn.vendor == "postgresql":
                arrays = ", ".join(f"CAST(%s AS {f.cast_db_type(conn)}[])" for f in fields)
                sql = f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({columns}) WHERE {where}"  # noqa: S608
                params = [list(column) for column in zip(*rows, strict=True)]
            else:
                row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
                values = ", ".join([row_sql] * len(rows))
                sql = f"WITH v({columns}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {where}"  # noqa: S608
                params = [value for row in rows for value in row]
            # Identifiers are quoted model metadata; every value is a parameter.
            cursor.execute(sql, params)
    return len(objs)


def any_of(field: str, ids) -> Q:
    """`field IN ids`, sent on PostgreSQL as one array parameter."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [ids])})
    return Q(**{f"{field}__in": ids})
