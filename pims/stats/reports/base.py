"""A report is a definition: sections whose columns are measures — a named
base set (spells open at period end, spells opened or closed in the
period, …) and a filter over it — grouped by child region in one
set-based statement per base.

The same measure serves the figure (COUNT(*) FILTER (WHERE q) … GROUP BY
the child's code prefix) and the drill-through list behind the figure (the
base set filtered by q and the row's prefix), so a figure and its list
can only agree.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..frame import Frame, stock_q
from ..tables import Result


@dataclass(frozen=True)
class Measure:
    base: str
    q: Callable[[Frame], Q] = lambda frame: Q()
    label: str | Promise = ""


def spell_base(frame: Frame, base: str) -> QuerySet:
    """The spells of a base set under the frame's region, annotated with the
    row key `g` and the same-length prefixes of the other end of a move."""
    p = frame.params
    spells = frame.spells()
    if base == "stock_end":
        qs = spells.filter(stock_q(p.last))
    elif base == "stock_start":
        qs = spells.filter(stock_q(p.start_period))
    elif base == "opened":
        qs = spells.filter(open_period__gte=p.first, open_period__lte=p.last)
    elif base == "closed":
        qs = spells.filter(close_period__gte=p.first, close_period__lte=p.last)
    else:
        raise ValueError(base)
    return annotate_ends(frame, qs)


def annotate_ends(frame: Frame, qs: QuerySet) -> QuerySet:
    n = frame.n
    return qs.annotate(
        g=Substr("region_code", 1, n), og=Substr("origin_code", 1, n), dg=Substr("destination_code", 1, n)
    )


CLOSED_NOTE = _("本期已月结：数字取自月结汇总表，不再变化。")


def closed_cells(frame: Frame, model, close_ids: list[int], **filters) -> QuerySet:
    """The month-close cells of `model` under the frame's region (and the
    user's scope), annotated with the row key `g`."""
    return frame.grouped(frame.scoped(model.objects.filter(close_id__in=close_ids, **filters)))


def grouped_counts(qs: QuerySet, measures: dict[str, Q], *, total_field: str = "id", weight: str | None = None) -> dict:
    """{row key: {measure: count}} in one GROUP BY over `qs` (annotated
    with `g`); with `weight`, sums that column instead of counting rows
    (the closed-month cells)."""
    aggs: dict[str, Sum | Count]
    if weight:
        aggs = {k: Sum(weight, filter=q, default=0) for k, q in measures.items()}
    else:
        aggs = {k: Count(total_field, filter=q) for k, q in measures.items()}
    out: dict[str, dict] = {}
    for row in qs.values("g").annotate(**aggs).order_by():
        out[row.pop("g")] = row
    return out


class ReportDef:
    key: str = ""
    number: int = 0
    title: str | Promise = ""
    description: str | Promise = ""
    uses_period: bool = True
    uses_kind: bool = True
    drillable: bool = True
    # The period preset a page opened without parameters shows ("" = this month).
    default_preset: str = ""

    def measures(self, frame: Frame) -> dict[str, Measure]:
        return {}

    def run(self, frame: Frame) -> Result:
        raise NotImplementedError

    def drill(self, frame: Frame, measure_key: str) -> QuerySet | None:
        """The records behind a figure (all rows of the region; the caller
        narrows to a row), or None for a derived figure."""
        m = self.measures(frame).get(measure_key)
        if m is None:
            return None
        return spell_base(frame, m.base).filter(m.q(frame))


def result(
    report: ReportDef, frame: Frame, sections, *, basis: str | Promise, notes=(), closed=False, charts=None
) -> Result:
    p = frame.params
    return Result(
        report_key=report.key,
        number=report.number,
        title=report.title,
        region=frame.region,
        period_label=p.label,
        basis=basis,
        sections=sections,
        first=p.first,
        last=p.last,
        kind=p.kind,
        closed=closed,
        notes=list(notes),
        charts=charts or {},
    )


def cell_target(report: ReportDef, section, row, column) -> tuple[str, str] | None:
    """(measure, row key) behind a cell, or None when it has no list."""
    if not report.drillable:
        return None
    special = getattr(report, "drill_cell", None)
    if special is not None and section.key != "main":
        measure = special(section.key, row.key, column.key)
        return (measure, "") if measure else None
    if column.measure is None:
        return None
    return column.measure, row.key
