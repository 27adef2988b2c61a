"""Writes of the stats app: month close (月结) and reopening, and the audit
row of every export.

Closing a county's month writes its cells with INSERT … SELECT statements
— stock, flows, households, births and women of childbearing age per kind
of population, and the flow events once — straight from the GROUP BY over
the spells and events: no row passes through Python. The births, women
and flow cells group the very querysets the live reports count (the
report's `base`), so the closed figures are the live ones at closing.
"""

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Substr

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.models import ChangeReport, Spell
from pims.events.models.report import OPEN_STATES
from pims.events.periods import is_period, last_day, period_of
from pims.events.selectors import villages_without_report
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.regions.models import Level

from . import errors
from .frame import Frame, Params, report_session, stock_q
from .models import ClosedBirth, ClosedFlow, ClosedHousehold, ClosedMigrant, ClosedStock, ClosedWoman, MonthClose
from .reports.births import BirthsReport
from .reports.flow import SIDES, FlowReport
from .reports.population import age_case, age_groups, household_sizes_sql, stock_counts
from .reports.women import WomenReport


def can_close(user) -> bool:
    region = getattr(user, "region", None)
    return has_capability(user, Cap.COUNTY_ADMIN) and region is not None and region.level == Level.COUNTY


# --- exports -------------------------------------------------------------------


def export_audit(*, actor, result, fmt: str, ip: str | None = None) -> None:
    """Every export is audited: report, region, period, kind and row count."""
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=("stats.report", result.report_key),
        region_code=result.region.code,
        ip=ip,
        detail={
            "report": result.report_key,
            "region": result.region.code,
            "period": result.period_label,
            "kind": result.kind,
            "format": fmt,
            "rows": result.row_count,
        },
    )


# --- month close -----------------------------------------------------------------


def _insert_select(table: str, columns: list[str], select_sql: str, params: list) -> int:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) {select_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _write_stock(close: MonthClose, kind: str) -> int:
    period = close.period
    qs = (
        Spell.objects.filter(kind=kind, region_code__startswith=close.region.prefix)
        .filter(stock_q(period))
        .annotate(ag=age_case(last_day(period), age_groups(False)))
        .values("region_code", "sex", "ag")
        .annotate(**stock_counts())
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    cols = ["close_id", "kind", "region_code", "sex", "age_group", "n", "han", "agri", "nonagri", "rs1", "rs2", "rs3"]
    select = (
        f"SELECT %s, %s, s.region_code, s.sex, s.ag, s.n, s.han, s.agri, s.nonagri, s.rs1, s.rs2, s.rs3 FROM ({sql}) s"  # noqa: S608
    )
    _insert_select(ClosedStock._meta.db_table, cols, select, [close.pk, kind, *params])
    return sum(ClosedStock.objects.filter(close=close, kind=kind).values_list("n", flat=True))


def _write_flows(close: MonthClose, kind: str) -> None:
    spells = Spell.objects.filter(kind=kind, region_code__startswith=close.region.prefix)
    cols = [
        "close_id",
        "kind",
        "region_code",
        "side",
        "open_reason",
        "origin_code",
        "close_reason",
        "destination_code",
        "n",
    ]
    opened = (
        spells.filter(open_period=close.period)
        .values("region_code", "open_reason", "origin_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    sql, params = opened.query.sql_with_params()
    select = f"SELECT %s, %s, s.region_code, 'open', s.open_reason, s.origin_code, '', '', s.n FROM ({sql}) s"  # noqa: S608
    _insert_select(ClosedFlow._meta.db_table, cols, select, [close.pk, kind, *params])
    closed = (
        spells.filter(close_period=close.period)
        .values("region_code", "close_reason", "destination_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    sql, params = closed.query.sql_with_params()
    select = f"SELECT %s, %s, s.region_code, 'close', '', '', s.close_reason, s.destination_code, s.n FROM ({sql}) s"  # noqa: S608
    _insert_select(ClosedFlow._meta.db_table, cols, select, [close.pk, kind, *params])


def _write_households(close: MonthClose, kind: str) -> None:
    spells = Spell.objects.filter(kind=kind, region_code__startswith=close.region.prefix).filter(stock_q(close.period))
    select, params = household_sizes_sql(spells, 12, lead="%s, %s, ")
    cols = ["close_id", "kind", "region_code", "size", "households", "persons"]
    _insert_select(ClosedHousehold._meta.db_table, cols, select, [close.pk, kind, *params])


def _write_cells(model, consts: dict, qs, columns: dict[str, str]) -> None:
    """INSERT the GROUP BY of `qs` over `columns` ({cell column: queryset
    field or annotation}) with a count `n`, plus constant columns."""
    grouped = qs.values(*columns.values()).annotate(cell_n=Count("pk")).order_by()
    sql, params = grouped.query.sql_with_params()
    qn = connection.ops.quote_name
    cols = [*consts, *columns, "n"]
    select = ", ".join(["%s"] * len(consts) + [f"s.{qn(src)}" for src in columns.values()] + ["s.cell_n"])
    sql = f"SELECT {select} FROM ({sql}) s"  # noqa: S608 (Django-compiled SQL, quoted names)
    _insert_select(model._meta.db_table, [qn(c) for c in cols], sql, [*consts.values(), *params])


def _report_frame(close: MonthClose, kind: str) -> Frame:
    return Frame(user=close.closed_by, region=close.region, params=Params(close.period, close.period, kind))


def _write_births(close: MonthClose, kind: str) -> None:
    qs = BirthsReport().base(_report_frame(close, kind))
    columns = {
        "region_code": "region_code",
        "sex": "x_sex",
        "birth_order": "x_order",
        "mother_age": "mage",
        "certified": "x_cert",
    }
    _write_cells(ClosedBirth, {"close_id": close.pk, "kind": kind}, qs, columns)


def _write_women(close: MonthClose, kind: str) -> None:
    qs = WomenReport().base(_report_frame(close, kind))
    columns = {"region_code": "region_code", "marital_status": "x_marital", "method": "x_method"}
    _write_cells(ClosedWoman, {"close_id": close.pk, "kind": kind}, qs, columns)


def _write_migrants(close: MonthClose) -> None:
    frame = _report_frame(close, Spell.Kind.REGISTERED)
    for side in SIDES:
        qs = FlowReport().base(frame, side).annotate(place6=Substr("place", 1, 6))
        columns = {"region_code": "region_code", "sex": "x_sex", "birth_date": "x_birth", "place": "place6"}
        _write_cells(ClosedMigrant, {"close_id": close.pk, "side": side}, qs, columns)


def month_close(*, actor, region, period: str, override_reason: str = "") -> MonthClose:
    """Close a county's month once it is over, every change report of the
    month in the county is approved and every village has reported. Writes
    the month's cells for both kinds of population in one transaction, with
    its audit row.

    With villages missing it is refused, unless the administrator gives
    `override_reason`: the close then records the missing villages and the
    reason, and its audit row names both."""
    override_reason = (override_reason or "").strip()
    if not can_close(actor) or region.level != Level.COUNTY or not region.code.startswith(actor.region.prefix):
        raise NotPermitted(errors.CLOSE_NOT_YOURS)
    if not is_period(period):
        raise Invalid(errors.CLOSE_PERIOD_INVALID, value=period[:20])
    if period >= period_of(clock.today()):
        raise Conflict(errors.CLOSE_PERIOD_NOT_OVER, period=period)
    with transaction.atomic():
        open_reports = ChangeReport.objects.filter(
            region_code__startswith=region.prefix, period=period, state__in=OPEN_STATES
        ).count()
        if open_reports:
            raise Conflict(errors.CLOSE_REPORTS_OPEN, period=period, n=open_reports)
        missing = [{"code": v.code, "name": v.name} for v in villages_without_report(region.prefix, period)]
        if missing and not override_reason:
            names = "、".join(v["name"] for v in missing[:10]) + ("等" if len(missing) > 10 else "")
            raise Conflict(errors.CLOSE_VILLAGES_MISSING, period=period, n=len(missing), villages=names)
        if missing and len(override_reason) < 4:
            raise Invalid(errors.CLOSE_OVERRIDE_NEEDS_REASON)
        if (
            MonthClose.objects.select_for_update()
            .filter(region_code=region.code, period=period, reopened_at__isnull=True)
            .exists()
        ):
            raise Conflict(errors.CLOSE_ALREADY, region=region.name, period=period)
        close = MonthClose.objects.create(
            region=region,
            region_code=region.code,
            period=period,
            closed_by=actor,
            closed_at=clock.now(),
            missing_villages=missing,
            override_reason=override_reason if missing else "",
        )
        total = 0
        with report_session():
            for kind in Spell.Kind.values:
                total += _write_stock(close, kind)
                _write_flows(close, kind)
                _write_households(close, kind)
                _write_births(close, kind)
                _write_women(close, kind)
            _write_migrants(close)
        close.spells = total
        close.save(update_fields=["spells"])
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=close,
            region_code=region.code,
            detail={"transition": "close", "period": period, "spells": total}
            | ({"missing_villages": missing, "override_reason": override_reason[:500]} if missing else {}),
        )
    return close


def month_reopen(*, actor, close: MonthClose, reason: str) -> MonthClose:
    """Reopen a closed month: the close and its cells stay as history; the
    reason is required and audited. Reports read the spells again until the
    month is closed anew."""
    reason = (reason or "").strip()
    if not can_close(actor) or not close.region_code.startswith(actor.region.prefix):
        raise NotPermitted(errors.REOPEN_NOT_YOURS)
    if len(reason) < 4:
        raise Invalid(errors.REOPEN_NEEDS_REASON)
    with transaction.atomic():
        close = MonthClose.objects.select_for_update().get(pk=close.pk)
        if close.reopened_at is not None:
            raise Conflict(errors.REOPEN_ALREADY)
        close.reopened_at = clock.now()
        close.reopened_by = actor
        close.reopen_reason = reason
        close.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=close,
            region_code=close.region_code,
            detail={"transition": "reopen", "period": close.period, "reason": reason[:500]},
        )
    return close
