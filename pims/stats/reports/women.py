"""4 育龄妇女及避孕节育: women aged 15–49 at the period end by marital
status; married women by their contraceptive method at the period end
(the method spell covering that day); contraceptive prevalence.

The figures are filters over two dimensions (x_marital, x_method — '' when
no method is in use): annotated on the period-end spells when live, read
from the month-close cells (`ClosedWoman`) when the period's last month is
closed.
"""

from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from pims.codes.selectors import current_codes
from pims.lib.dates import aged_q
from pims.registry.models import Contraception

from ..closes import current_closes
from ..frame import Frame
from ..models import ClosedWoman
from ..tables import Column, Section, ratio
from .base import CLOSED_NOTE, Measure, ReportDef, closed_cells, grouped_counts, result, spell_base

MARRIED = ("20", "21", "22", "23")
NO_METHOD = ("", "00")


def _methods() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in current_codes("contraceptive_method") if c.code not in NO_METHOD]


def columns() -> list[Column]:
    return [
        Column("women", _("育龄妇女合计"), measure="women"),
        Column("unmarried", _("未婚"), _("婚姻状况"), measure="unmarried"),
        Column("married", _("有配偶"), _("婚姻状况"), measure="married"),
        Column("widowed", _("丧偶"), _("婚姻状况"), measure="widowed"),
        Column("divorced", _("离婚"), _("婚姻状况"), measure="divorced"),
        Column("marital_other", _("未说明"), _("婚姻状况"), measure="marital_other"),
        Column("using", _("合计"), _("已婚育龄妇女采取避孕措施"), measure="using"),
        *[
            Column(f"method_{code}", name, _("已婚育龄妇女采取避孕措施"), measure=f"method_{code}")
            for code, name in _methods()
        ],
        Column("not_using", _("未避孕"), measure="not_using"),
        Column("cpr", _("综合避孕率"), fmt="pct1"),
    ]


def _q(frame: Frame) -> dict[str, Q]:
    married = Q(x_marital__in=MARRIED)
    out = {
        "women": Q(),
        "unmarried": Q(x_marital="10"),
        "married": married,
        "widowed": Q(x_marital="30"),
        "divorced": Q(x_marital="40"),
        "marital_other": ~Q(x_marital__in=(*MARRIED, "10", "30", "40")),
        "using": married & ~Q(x_method__in=NO_METHOD),
        "not_using": married & Q(x_method__in=NO_METHOD),
    }
    for code, _name in _methods():
        out[f"method_{code}"] = married & Q(x_method=code)
    return out


def derive(v: dict) -> dict:
    return {"cpr": ratio(v["using"], v["married"], 100)}


class WomenReport(ReportDef):
    key = "women"
    number = 4
    title = _("育龄妇女及避孕节育情况统计表")
    description = _("15–49岁育龄妇女按婚姻状况；已婚育龄妇女按避孕方法；综合避孕率")

    def base(self, frame: Frame):
        ref = frame.params.ref
        current = (
            Contraception.objects.filter(woman=OuterRef("person_id"), start_date__lte=ref)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=ref))
            .order_by("-start_date", "-id")
            .values("method")[:1]
        )
        return (
            spell_base(frame, "stock_end")
            .filter(Q(sex="2") & aged_q(ref, 15, 49, "birth_date"))
            .annotate(
                x_marital=F("person__marital_status"),
                x_method=Coalesce(Subquery(current), Value(""), output_field=CharField()),
            )
        )

    def cells(self, frame: Frame, close_ids: list[int]):
        return closed_cells(frame, ClosedWoman, close_ids, kind=frame.params.kind).annotate(
            x_marital=F("marital_status"), x_method=F("method")
        )

    def measures(self, frame):
        labels = {c.key: c.label for c in columns()}
        return {k: Measure("women", (lambda f, q=q: q), _("育龄妇女 · ") + labels[k]) for k, q in _q(frame).items()}

    def drill(self, frame, measure_key):
        q = _q(frame).get(measure_key)
        return None if q is None else self.base(frame).filter(q)

    def run(self, frame: Frame):
        cols = columns()
        closes = current_closes(frame.region, [frame.params.last])
        closed = frame.params.last in closes
        if closed:
            data = grouped_counts(self.cells(frame, closes[frame.params.last]), _q(frame), weight="n")
        else:
            data = grouped_counts(self.base(frame), _q(frame))
        rows, total = frame.rows(data, cols, derive)
        section = Section(
            "main",
            _("育龄妇女及避孕节育"),
            _("区划"),
            cols,
            rows,
            total,
            note=_("综合避孕率 = 采取避孕措施的已婚育龄妇女 ÷ 已婚育龄妇女 × 100%。"),
        )
        methods = [{"name": c.label, "value": total.values[c.key]} for c in cols if c.key.startswith("method_")]
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；统计期末（%(ref)s）在册的 15–49 周岁女性；避孕方法为期末正在使用的方法。")
            % {"kind": frame.params.kind_label, "ref": frame.params.ref},
            notes=[CLOSED_NOTE] if closed else [],
            closed=closed,
            charts={"methods": {"items": [m for m in methods if m["value"]]}},
        )
