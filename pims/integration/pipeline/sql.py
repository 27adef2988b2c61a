"""Set-based SQL helpers shared by the load and check stages of every source."""

import re
from collections.abc import Mapping

from django.db import connection

from pims.integration.bulk import adapt_value, fresh_per_row, quote
from pims.integration.pipeline.job import (
    REJECTED,
)
from pims.lib.identity import new_uuid_sql
from pims.registry.models import Birth, Household, Marriage, Person


def tune_session(*, wait_for_disk: bool = False) -> None:
    """For this transaction only (PostgreSQL): no JIT — it compiles each
    stage-2 statement and register rule for ~0.1 s, longer than most then
    run — and enough work memory for the chunk's hash joins.

    A chunk's commit does not wait for its WAL to reach the disk
    (`synchronous_commit = off`): a server crash can lose only the last
    commits, each whole — the data together with the job's progress — and the
    next run redoes them; nothing is half applied. The last transaction
    (the check and the end of the job) waits as usual."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            if not wait_for_disk:
                cursor.execute("SET LOCAL synchronous_commit = off")


def analyze(models, *, joins_only: bool = False) -> None:
    """Fresh planner statistics (PostgreSQL): tables this import grows would
    otherwise look empty to the planner, which then picks nested scans.
    Between chunks only the columns stage 2 joins on are needed (cheaper)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            columns = JOIN_COLUMNS.get(model._meta.db_table) if joins_only else None
            listed = f" ({', '.join(quote(c) for c in columns)})" if columns else ""
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}{listed}")


JOIN_COLUMNS = {
    Person._meta.db_table: ["id", "household_id", "id_index", "row", "name", "sex", "birth_date"],
    Household._meta.db_table: ["id", "village_id", "number"],
    Marriage._meta.db_table: ["husband_id", "wife_id"],
    Birth._meta.db_table: ["child_id"],
}


def reject(cursor, table: str, verdicts: list[tuple[int, str, str]], unkey: bool = False) -> None:
    """Rows rejected with their rules and messages; `unkey` takes them out of
    their household's key range too (before stage 2 counts the range)."""
    if verdicts:
        also = ", hh_key = NULL" if unkey else ""
        cursor.executemany(
            f"UPDATE {table} SET state = %s, rule_ids = %s, reasons = %s{also} WHERE id = %s",  # noqa: S608
            [(REJECTED, rules, reasons, sid) for sid, rules, reasons in verdicts],
        )


# A column's value in insert_select: SQL text, or ("SQL with %s", [params]).
SqlExpr = str | tuple[str, list]


def insert_select(model, exprs: Mapping[str, SqlExpr], from_sql: str, params: list, returning: str = ""):
    """INSERT INTO model's table (every column but the id) SELECT exprs …
    `exprs` maps a column to SQL text or to ("SQL with %s", [params]);
    unnamed columns get the field's default as a parameter — the travelling
    records' `uuid` a fresh one per row, made by the database."""
    cols, select, select_params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(quote(f.column))
        expr = exprs.get(f.column)
        if expr is None and fresh_per_row(f):
            select.append(new_uuid_sql(connection.vendor))
        elif expr is None:
            from pims.integration.bulk import _default

            select.append("%s")
            select_params.append(adapt_value(_default(f)))
        elif isinstance(expr, tuple):
            select.append(expr[0])
            select_params += expr[1]
        else:
            select.append(expr)
    unknown = set(exprs) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model._meta.db_table} has no columns {sorted(unknown)}")
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(cols)}) SELECT {', '.join(select)} {from_sql}"
    if returning:
        sql += f" RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, select_params + params)
        return cursor.fetchall() if returning else max(cursor.rowcount, 0)


LINE_RE = re.compile(r"第 (\d+) 行")
ROW = quote("row")
