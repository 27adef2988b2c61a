"""2 人口变动情况: start population, baseline, births, deaths, moved in,
moved out, end population and the balance (must be zero) per child region.

Counting rules (pims.events.selectors): stocks are the spells open at the
end of a month as approved by then; flows are spells opened or closed in
the approval months of the period. A row counts a move when its other end
lies outside the row's region; the "of which inside the region" columns
show the moves between two rows, which cancel out in the region's own
figures (moved in − of which inside = the region's own moves in).
"""

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.events.periods import previous_period

from ..closes import current_closes
from ..frame import Frame
from ..models import ClosedFlow, ClosedStock
from ..tables import Column, Section
from .base import CLOSED_NOTE, Measure, ReportDef, annotate_ends, grouped_counts, result, spell_base

OPENED, CLOSED = Spell.Opened, Spell.Closed
# Spells opened or closed by a region correction or a reversal (更正增减,
# pims.events.selectors.CORRECTING): counted in the approval month, so a
# closed month never changes and the balance still holds.
CORRECTING_OPENED = [OPENED.CORRECTION, OPENED.REVERSAL]
CORRECTING_CLOSED = [CLOSED.CORRECTION, CLOSED.REVERSAL]

COLUMNS = [
    Column("start", _("期初人口"), measure="start"),
    Column("baseline", _("基线采集"), measure="baseline"),
    Column("births", _("出生"), measure="births"),
    Column("deaths", _("死亡"), measure="deaths"),
    Column("moved_in", _("合计"), _("迁入"), measure="moved_in"),
    Column("moved_in_internal", _("其中：本区划内"), _("迁入"), measure="moved_in_internal"),
    Column("moved_out", _("合计"), _("迁出"), measure="moved_out"),
    Column("moved_out_internal", _("其中：本区划内"), _("迁出"), measure="moved_out_internal"),
    Column("cancelled", _("其中：注销"), _("迁出"), measure="cancelled"),
    Column("corrected_in", _("更正增加"), _("更正"), measure="corrected_in"),
    Column("corrected_out", _("更正减少"), _("更正"), measure="corrected_out"),
    Column("end", _("期末人口"), measure="end"),
    Column("balance", _("平衡差"), measure=None),
]


def _measures(frame: Frame) -> dict[str, Measure]:
    inside = frame.prefix
    moved_in = Q(open_reason=OPENED.MOVE) & (Q(origin_code="") | ~Q(og=F("g")))
    moved_out_move = Q(close_reason=CLOSED.MOVE) & (Q(destination_code="") | ~Q(dg=F("g")))
    # Between two rows a correction is one row's decrease and the other's increase.
    corrected_in = Q(open_reason__in=CORRECTING_OPENED) & (Q(origin_code="") | ~Q(og=F("g")))
    corrected_out = Q(close_reason__in=CORRECTING_CLOSED) & (Q(destination_code="") | ~Q(dg=F("g")))
    return {
        "start": Measure("stock_start", lambda f: Q(), _("期初人口")),
        "baseline": Measure("opened", lambda f: Q(open_reason=OPENED.BASELINE), _("基线采集")),
        "births": Measure("opened", lambda f: Q(open_reason=OPENED.BIRTH), _("出生")),
        "deaths": Measure("closed", lambda f: Q(close_reason=CLOSED.DEATH), _("死亡")),
        "moved_in": Measure("opened", lambda f: moved_in, _("迁入")),
        "moved_in_internal": Measure(
            "opened", lambda f: moved_in & Q(origin_code__startswith=inside), _("迁入（其中本区划内）")
        ),
        "moved_out": Measure("closed", lambda f: Q(close_reason=CLOSED.CANCEL) | moved_out_move, _("迁出")),
        "moved_out_internal": Measure(
            "closed", lambda f: moved_out_move & Q(destination_code__startswith=inside), _("迁出（其中本区划内）")
        ),
        "cancelled": Measure("closed", lambda f: Q(close_reason=CLOSED.CANCEL), _("注销")),
        "corrected_in": Measure("opened", lambda f: corrected_in, _("更正增加")),
        "corrected_out": Measure("closed", lambda f: corrected_out, _("更正减少")),
        "end": Measure("stock_end", lambda f: Q(), _("期末人口")),
    }


def derive(v: dict) -> dict:
    expected = (
        v["start"]
        + v["baseline"]
        + v["births"]
        - v["deaths"]
        + v["moved_in"]
        - v["moved_out"]
        + v["corrected_in"]
        - v["corrected_out"]
    )
    return {"balance": v["end"] - expected}


def _closed_flows(frame: Frame, close_ids: list[int], side: str):
    qs = ClosedFlow.objects.filter(close_id__in=close_ids, kind=frame.params.kind, side=side)
    return annotate_ends(frame, frame.scoped(qs))


def _closed_stock(frame: Frame, close_ids: list[int]):
    return frame.grouped(frame.scoped(ClosedStock.objects.filter(close_id__in=close_ids, kind=frame.params.kind)))


class ChangeReport(ReportDef):
    key = "change"
    number = 2
    title = _("人口变动情况统计表")
    description = _("期初人口、出生、死亡、迁入、迁出、期末人口及平衡校验，按下级区划汇总")

    def measures(self, frame):
        return _measures(frame)

    def counts(self, frame: Frame) -> tuple[dict[str, dict], bool]:
        """{row key: {measure: n}} and whether every figure came from closed cells."""
        p = frame.params
        measures = _measures(frame)
        by_base: dict[str, dict[str, Q]] = {}
        for key, m in measures.items():
            by_base.setdefault(m.base, {})[key] = m.q(frame)
        closes = current_closes(frame.region, [p.start_period, *p.periods])
        flow_closes = [pk for period in p.periods for pk in closes.get(period, [])]
        all_flows_closed = all(period in closes for period in p.periods)
        parts = []
        for base, qs_measures in by_base.items():
            if base == "stock_start" and p.start_period in closes:
                parts.append(grouped_counts(_closed_stock(frame, closes[p.start_period]), qs_measures, weight="n"))
            elif base == "stock_end" and p.last in closes:
                parts.append(grouped_counts(_closed_stock(frame, closes[p.last]), qs_measures, weight="n"))
            elif base in ("opened", "closed") and all_flows_closed:
                side = "open" if base == "opened" else "close"
                parts.append(grouped_counts(_closed_flows(frame, flow_closes, side), qs_measures, weight="n"))
            else:
                parts.append(grouped_counts(spell_base(frame, base), qs_measures))
        data: dict[str, dict] = {}
        for part in parts:
            for g, values in part.items():
                data.setdefault(g, {}).update(values)
        # The start is the previous month's end: from its cells when that month
        # is closed too, else from the spells — a count by approval month that
        # no later report changes either.
        closed = p.last in closes and all_flows_closed
        return data, closed

    def run(self, frame: Frame):
        data, closed = self.counts(frame)
        rows, total = frame.rows(data, COLUMNS, derive)
        section = Section(
            key="main",
            title=_("人口变动情况"),
            row_header=_("区划"),
            columns=COLUMNS,
            rows=rows,
            total=total,
            note=_(
                "平衡差 = 期末人口 −（期初人口 + 基线采集 + 出生 − 死亡 + 迁入 − 迁出 + 更正增加 − 更正减少），应为 0。"
                "更正增减是户籍地、居住地区划的更正和误报变动的撤销，计入审核通过的月份。"
                "各行的迁入、迁出含来自（去往）本区划内其他单位的迁移；这部分在合计行中相互抵消"
                "（合计迁入 − 其中本区划内 = 本区划的迁入）。注销计入迁出。"
            ),
        )
        notes = []
        if closed:
            notes.append(CLOSED_NOTE)
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；期初、期末为月末在册人数，变动按审核通过的月份统计（补报计入审核当月）。")
            % {"kind": frame.params.kind_label},
            notes=notes,
            closed=closed,
            charts={"trend": trend(frame)},
        )


def trend(frame: Frame, months: int = 12) -> dict:
    """Births and deaths per approval month over the 12 months up to the
    period's last month, for the whole region: two GROUP BYs."""
    last = frame.params.last
    periods = [last]
    while len(periods) < months:
        periods.insert(0, previous_period(periods[0]))
    spells = frame.spells()
    births = dict(
        spells.filter(open_period__in=periods, open_reason=OPENED.BIRTH)
        .values_list("open_period")
        .annotate(n=Count("id"))
        .order_by()
    )
    deaths = dict(
        spells.filter(close_period__in=periods, close_reason=CLOSED.DEATH)
        .values_list("close_period")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "periods": periods,
        "births": [births.get(p, 0) for p in periods],
        "deaths": [deaths.get(p, 0) for p in periods],
    }
