"""Row counts and checksums per table, the same way on every engine.

Each table's checksum is SHA-256 over its rows in primary-key order, one
canonical JSON array per row. Values are read raw (no `from_db_value`, so
encrypted fields are hashed as stored ciphertext) and normalised by field
type — datetimes to UTC ISO text, JSON re-serialised with sorted keys,
decimals quantised, UUIDs and bytes as hex — so that SQLite and PostgreSQL
give the same digest for the same data.
"""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.apps import apps
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils.dateparse import parse_date, parse_datetime, parse_time

FETCH = 2000


def project_models() -> list:
    """Every concrete table Django manages, plus django_migrations."""
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    return [*models, MigrationRecorder.Migration]


def _target_field(field):
    while field.is_relation:
        field = field.target_field
    return field


def _datetime(value) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # USE_TZ: naive values in the DB are UTC
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _date(value) -> str:
    parsed = parse_date(value) if isinstance(value, str) else value
    assert parsed is not None, value  # the database holds valid dates only
    return parsed.isoformat()


def _time(value) -> str:
    parsed = parse_time(value) if isinstance(value, str) else value
    assert parsed is not None, value
    return parsed.isoformat(timespec="microseconds")


def _json(value):
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _decimal(value, places) -> str:
    number = Decimal(str(value))
    return str(number.quantize(Decimal(1).scaleb(-places))) if places is not None else str(number)


NORMALISERS = {
    "BooleanField": lambda f, v: bool(v),
    "DateTimeField": lambda f, v: _datetime(v),
    "DateField": lambda f, v: _date(v),
    "TimeField": lambda f, v: _time(v),
    "JSONField": lambda f, v: _json(v),
    "DecimalField": lambda f, v: _decimal(v, f.decimal_places),
    "FloatField": lambda f, v: repr(float(v)),
    "UUIDField": lambda f, v: uuid.UUID(str(v)).hex if not isinstance(v, uuid.UUID) else v.hex,
    "BinaryField": lambda f, v: bytes(v).hex(),
}


def canonical(field, value):
    if value is None:
        return None
    normalise = NORMALISERS.get(field.get_internal_type())
    if normalise is not None:
        return normalise(field, value)
    if isinstance(value, int | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _select_sql(model, connection) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in model._meta.concrete_fields)
    order = ", ".join(qn(f.column) for f in model._meta.pk_fields)
    # Identifiers come from model metadata and are quoted; nothing user-supplied.
    return f"SELECT {columns} FROM {qn(model._meta.db_table)} ORDER BY {order}"  # noqa: S608


def table_digest(model, using: str) -> dict:
    connection = connections[using]
    fields = [_target_field(f) for f in model._meta.concrete_fields]
    digest = hashlib.sha256()
    rows = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select_sql(model, connection))
        while batch := cursor.fetchmany(FETCH):
            for row in batch:
                values = [canonical(f, v) for f, v in zip(fields, row, strict=True)]
                digest.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
                digest.update(b"\n")
            rows += len(batch)
    return {"rows": rows, "sha256": digest.hexdigest()}


def table_stats(using: str = "default") -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} for every project table present."""
    existing = set(connections[using].introspection.table_names())
    stats = {}
    for model in project_models():
        table = model._meta.db_table
        if table in existing and table not in stats:
            stats[table] = table_digest(model, using)
    return dict(sorted(stats.items()))


def nonempty_tables(using: str) -> list[str]:
    """Tables (of any kind) in the database that hold at least one row."""
    connection = connections[using]
    qn = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")  # noqa: S608 - quoted introspected name
            if cursor.fetchone():
                found.append(table)
    return found


def applied_migrations(using: str = "default") -> list[str]:
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())
