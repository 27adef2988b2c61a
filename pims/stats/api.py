"""The statistics JSON API: any report of the catalogue for a region the
user may see and a period, as the page shows it — the child regions as
rows (each with its code, to drill down by asking again), the total row,
the counting rule and whether the figures come from a closed month. The
same selector as the page and the exports (404 for an unknown report, a
user without the role and a region outside the user's jurisdiction
alike)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from pims.api.errors import RefusedOut as RefusedBase
from pims.lib.errors import Invalid, Problem

from . import selectors
from .forms import params_query, parse_params
from .reports import REPORTS
from .tables import Result, Section

router = Router(tags=["stats"])
PARAMS_INVALID = _("统计参数有误")


class ReportInfoOut(Schema):
    key: str
    number: int
    title: str
    description: str
    uses_period: bool
    uses_kind: bool


class ColumnOut(Schema):
    key: str
    label: str
    group: str = Field(..., description="上层表头（合并单元格）；空为单层")
    fmt: str = Field(..., description="int | dec1 | dec2 | pct1")


class RowOut(Schema):
    key: str = Field(..., description="行键：下级区划代码的前缀（合计行为空）")
    label: str
    code: str = Field(..., description="下级区划的 12 位代码，可用于下钻；非区划行为空")
    values: dict[str, float | int | None]


class SectionOut(Schema):
    key: str
    title: str
    row_header: str
    unit: str
    note: str
    columns: list[ColumnOut]
    rows: list[RowOut]
    total: RowOut | None


class StatsRegionOut(Schema):
    code: str
    name: str
    level: str


class StatsReportOut(Schema):
    report: str
    number: int
    title: str
    region: StatsRegionOut
    period: str
    first: str
    last: str
    kind: str
    basis: str = Field(..., description="统计口径")
    closed: bool = Field(..., description="数字取自月结汇总表（不再变化）")
    notes: list[str]
    query: dict[str, str] = Field(..., description="实际使用的统计参数")
    sections: list[SectionOut]


class StatsRefusedOut(RefusedBase):
    # Only the report's own refusal carries the old member (see SearchRefusedOut).
    errors: list[str] = Field(default_factory=list, description="同 problems 的说明（旧名；仅统计参数有误时）")


def _row(row) -> dict:
    return {"key": row.key, "label": str(row.label), "code": row.code, "values": row.values}


def _section(section: Section) -> dict:
    return {
        "key": section.key,
        "title": str(section.title),
        "row_header": str(section.row_header),
        "unit": str(section.unit),
        "note": str(section.note),
        "columns": [
            {"key": c.key, "label": str(c.label), "group": str(c.group), "fmt": c.fmt} for c in section.columns
        ],
        "rows": [_row(r) for r in section.rows],
        "total": _row(section.total) if section.total else None,
    }


def _result(result: Result, query: dict) -> dict:
    region = result.region
    return {
        "report": result.report_key,
        "number": result.number,
        "title": str(result.title),
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": str(result.period_label),
        "first": result.first,
        "last": result.last,
        "kind": result.kind,
        "basis": str(result.basis),
        "closed": result.closed,
        "notes": [str(n) for n in result.notes],
        "query": query,
        "sections": [_section(s) for s in result.sections],
    }


@router.get("/reports", response=list[ReportInfoOut], url_name="stats_reports", summary="统计报表目录")
def report_list(request):
    if not selectors.can_view_reports(request.user):
        raise Http404
    return [
        {
            "key": r.key,
            "number": r.number,
            "title": str(r.title),
            "description": str(r.description),
            "uses_period": r.uses_period,
            "uses_kind": r.uses_kind,
        }
        for r in REPORTS.values()
    ]


@router.get(
    "/reports/{report}/{code}",
    response={200: StatsReportOut, 422: StatsRefusedOut},
    url_name="stats_report",
    summary="统计报表（本辖区的区划、统计期，按下级区划汇总）",
)
def report_get(
    request, report: str, code: str, period: str = "", to: str = "", kind: str = "", ages: str = "", preset: str = ""
):
    """Report `report` for region `code`: `period` (YYYY-MM, default this
    month) to `to` (default `period`), or `preset` stat_year:YYYY (统计年度,
    10-01 of the year before → 09-30), half_year:YYYY (10-01 → 03-31) or
    year:YYYY; `kind` registered | resident, `ages` single for single-year
    ages in report 1. Drill down by asking again with a row's `code`."""
    if report not in REPORTS or not selectors.can_view_reports(request.user):
        raise Http404
    params, errors = parse_params({"period": period, "to": to, "kind": kind, "ages": ages, "preset": preset})
    if errors:
        messages = [str(e) for e in errors]
        raise Invalid(PARAMS_INVALID, problems=[Problem(m) for m in messages], extra={"errors": messages})
    result = selectors.report_run(user=request.user, key=report, code=code, params=params)
    return _result(result, params_query(params))
