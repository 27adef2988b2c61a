"""Batch logic check (批量逻辑审核) over a region's subtree.

Every register rule runs once over the whole region as one statement (the
rule's own query, with the run, rule and village added as columns; on
PostgreSQL through a temporary table so the scan runs in parallel), so no row
ever travels through Python. The
per-(rule, village) counts are then one ``GROUP BY`` over the run's hits: the
report and its drill-down are read from the same rows and cannot disagree.
The number of statements is fixed by the size of the catalogue, not by the
number of households.
"""

import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import F, IntegerField, QuerySet, Sum, Value
from django.db.models.expressions import Combinable
from django.http import Http404
from django.utils import timezone

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib.errors import NotPermitted
from pims.regions.models import Region
from pims.regions.scope import code_in_scope, scope_filter

from .. import errors
from ..models import CheckHit, CheckResult, CheckRun, Household, Person
from .base import Rule, Severity
from .register_rules import set_based
from .runner import region_base_queryset, register_rules

HIT_COLUMNS = ["run_id", "rule_id", "severity", "village_code", "household_id", "person_id", "row"]

Progress = Callable[[Rule, int, float], None]


def may_run_checks(user) -> bool:
    return has_capability(user, Cap.RUN_CHECKS)


def check_run_start(*, actor, region: Region, progress: Progress | None = None) -> CheckRun:
    """Run every register rule over the active households under `region`,
    on behalf of a reviewer or county administrator whose jurisdiction
    contains the region.

    The run row is committed first and marked failed if a rule raises, so an
    interrupted run stays visible; the hits, counts and audit entry are
    written in one transaction. Runs synchronously: a county of 400k persons
    takes seconds (docs/benchmarks-checks.md).
    """
    if not may_run_checks(actor) or not code_in_scope(actor, region.code):
        raise NotPermitted(errors.CHECK_RUN_NOT_YOURS)
    return _execute(actor=actor, region=region, progress=progress)


def check_run_system(*, region: Region, progress: Progress | None = None, username: str = "") -> CheckRun:
    """The same run started from the command line (`manage.py run_checks`):
    no signed-in user, the operator's login name goes into the audit entry."""
    return _execute(actor=None, region=region, progress=progress, username=username or "system:run_checks")


def _execute(*, actor, region: Region, progress: Progress | None, username: str = "") -> CheckRun:
    rules = register_rules()
    run = CheckRun.objects.create(
        region=region, region_code=region.code, actor=actor, started_at=timezone.now(), rules=len(rules)
    )
    try:
        with transaction.atomic():
            _tune_session()
            for rule in rules:
                began = time.perf_counter()
                n = _insert_hits(run, rule, region.prefix)
                if progress:
                    progress(rule, n, time.perf_counter() - began)
            _insert_results(run)
            _finish(run, region.prefix)
            audit_record(
                actor=actor,
                username=username,
                action=Action.CREATE,
                obj=run,
                region_code=region.code,
                detail={"what": "check_run", "rules": run.rules, "errors": run.errors, "warnings": run.warnings},
            )
    except Exception:
        CheckRun.objects.filter(pk=run.pk).update(state=CheckRun.State.FAILED, finished_at=timezone.now())
        raise
    return run


BATCH_WORK_MEM = "256MB"


def _tune_session() -> None:
    """For this transaction only: no JIT (it compiles each rule's expressions
    for ~0.1 s, longer than most rules then run) and enough work memory for
    the rules' hash joins over a county's persons to stay in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'")


def _hit_select(run: CheckRun, rule: Rule, prefix: str) -> QuerySet:
    """The rule's violating rows as (run, rule, severity, village, household,
    person, row) — annotations only, added in HIT_COLUMNS order, so the SQL
    select list is exactly the insert's column list."""
    with set_based():
        qs = rule.violators(region_base_queryset(rule, prefix)).order_by()
    where: tuple[Combinable, ...]  # village, household, person, row
    if rule.level == "household":
        where = (F("region_code"), F("id"), Value(None, IntegerField()), Value(None, IntegerField()))
    else:
        where = (F("household__region_code"), F("household_id"), F("id"), F("row"))
    names = [f"chk_{c}" for c in HIT_COLUMNS]
    values = [Value(run.pk), Value(rule.id), Value(str(rule.severity)), *where]
    for name, value in zip(names, values, strict=True):
        qs = qs.annotate(**{name: value})
    return qs.values_list(*names)


def _insert_hits(run: CheckRun, rule: Rule, prefix: str) -> int:
    select_sql, params = _hit_select(run, rule, prefix).query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CheckHit._meta.db_table)
    columns = ", ".join(qn(c) for c in HIT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)  # noqa: S608  (names from _meta)
            return max(cursor.rowcount, 0)
        # PostgreSQL never plans INSERT … SELECT in parallel, but it does plan
        # CREATE TABLE AS in parallel: the rule's scan of the county runs on
        # every core into a temporary table, and only its hits (a few
        # thousand rows) are then copied (docs/benchmarks-checks.md).
        cursor.execute(f"CREATE TEMPORARY TABLE chk_rule_hits ON COMMIT DROP AS {select_sql}", params)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {_typed_hit_columns()} FROM chk_rule_hits"  # noqa: S608
        )
        n = max(cursor.rowcount, 0)
        cursor.execute("DROP TABLE chk_rule_hits")
        return n


def _typed_hit_columns() -> str:
    """The temporary table's columns cast to the hit table's types (an
    untyped NULL, e.g. a household rule's person, becomes `text` there)."""
    fields = {f.column: f for f in CheckHit._meta.concrete_fields}
    return ", ".join(f"CAST(chk_{c} AS {fields[c].db_type(connection)})" for c in HIT_COLUMNS)


def _insert_results(run: CheckRun) -> None:
    qn = connection.ops.quote_name
    results, hits = qn(CheckResult._meta.db_table), qn(CheckHit._meta.db_table)
    cols = ["run_id", "rule_id", "severity", "village_code", "hits", "households"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {results} ({', '.join(qn(c) for c in cols)}) "  # noqa: S608  (names from _meta)
            f"SELECT run_id, rule_id, severity, village_code, COUNT(*), COUNT(DISTINCT household_id) "
            f"FROM {hits} WHERE run_id = %s GROUP BY run_id, rule_id, severity, village_code",
            [run.pk],
        )


def _finish(run: CheckRun, prefix: str) -> None:
    sums = dict(CheckResult.objects.filter(run=run).values_list("severity").annotate(n=Sum("hits")).order_by())
    run.errors = sums.get(str(Severity.ERROR), 0)
    run.warnings = sums.get(str(Severity.WARNING), 0)
    run.households_with_errors = (
        CheckHit.objects.filter(run=run, severity=Severity.ERROR).values("household_id").distinct().count()
    )
    run.households = Household.objects.filter(region_code__startswith=prefix, status=Household.Status.ACTIVE).count()
    run.persons = Person.objects.filter(
        household__region_code__startswith=prefix, household__status=Household.Status.ACTIVE
    ).count()
    run.state = CheckRun.State.DONE
    run.finished_at = timezone.now()
    run.save()


# ---------------------------------------------------------------------------
# Reads (selectors): every list and drill-down goes through the run's scope.


def check_run_list_visible_to(*, user) -> QuerySet[CheckRun]:
    """Runs over regions inside the user's jurisdiction (a township reviewer
    does not see a county-wide run: it covers other townships)."""
    if not may_run_checks(user):
        return CheckRun.objects.none()
    return scope_filter(CheckRun.objects.select_related("region", "actor"), user, field="region_code")


def access_check_run(user, pk: int) -> CheckRun:
    """The run if the user may see it; 404 for missing and out-of-scope alike."""
    try:
        return check_run_list_visible_to(user=user).get(pk=pk)
    except CheckRun.DoesNotExist:
        raise Http404 from None


def check_run_matrix(run: CheckRun) -> dict:
    """The report: rules that fired (rows) × villages (columns) with counts."""
    results = list(run.results.all())
    codes = sorted({r.village_code for r in results})
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    cells: dict[str, dict[str, CheckResult]] = {}
    for r in results:
        cells.setdefault(r.rule_id, {})[r.village_code] = r
    return {"villages": [(c, names.get(c, c)) for c in codes], "cells": cells}


def check_hits_for_cell(run: CheckRun, rule_id: str, village_code: str) -> QuerySet[CheckHit]:
    return (
        run.hits.filter(rule_id=rule_id, village_code=village_code)
        .select_related("household", "person")
        .only("id", "row", "household_id", "person_id", "household__number", "household__address", "person__name")
        .order_by("household__number", "row", "id")
    )
