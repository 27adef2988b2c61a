"""A bulk UPDATE that stays linear in the number of rows.

Django's `bulk_update` writes one `CASE WHEN pk=… THEN …` expression per
field per batch: building and evaluating it grows with rows × batch size ×
fields, which for a month of events (thousands of persons and spells) cost
seconds of pure overhead. Here every batch is one statement joining the
table to a list of rows:

    WITH v(id, a, b) AS (VALUES (%s, %s, %s), …)
    UPDATE t SET a = v.a, b = v.b FROM v WHERE t.id = v.id

(PostgreSQL, and SQLite ≥ 3.33). PostgreSQL cannot infer the types of
parameters in VALUES, so there each one is cast to its column's type.
"""

from django.db import connections, router

BATCH_ROWS = 500


def _value(obj, field, connection):
    if field.is_relation:
        cached = obj._state.fields_cache.get(field.name)
        raw = cached.pk if cached is not None else getattr(obj, field.attname)
        return field.target_field.get_db_prep_save(raw, connection)
    return field.get_db_prep_save(getattr(obj, field.attname), connection)


def bulk_update(model, objs, field_names: list[str]) -> int:
    objs = [o for o in objs if o.pk is not None]
    if not objs:
        return 0
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    columns = [pk.column] + [f.column for f in fields]
    postgres = connection.vendor == "postgresql"
    casts = [f"CAST(%s AS {f.cast_db_type(connection)})" if postgres else "%s" for f in [pk, *fields]]
    row_sql = "(" + ", ".join(casts) + ")"
    assignments = ", ".join(f"{qn(c)} = v.{qn(c)}" for c in columns[1:])
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_ROWS):
            chunk = objs[start : start + BATCH_ROWS]
            params = []
            for obj in chunk:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                params.extend(_value(obj, f, connection) for f in fields)
            sql = (
                f"WITH v({', '.join(qn(c) for c in columns)}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{qn(pk.column)} = v.{qn(pk.column)}"
            )
            cursor.execute(sql, params)  # noqa: S608 (identifiers are quoted model metadata)
    return len(objs)
