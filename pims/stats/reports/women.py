"""4 育龄妇女及避孕节育: women aged 15–49 at the period end by marital
status; married women by their contraceptive method at the period end
(the method spell covering that day); contraceptive prevalence."""

from django.db.models import OuterRef, Q, Subquery

from pims.codes.selectors import current_codes
from pims.registry.models import Contraception

from ..frame import Frame, born_aged
from ..tables import Column, Section, ratio
from .base import Measure, ReportDef, grouped_counts, result, spell_base

MARRIED = ("20", "21", "22", "23")
NO_METHOD = ("", "00")


def _methods() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in current_codes("contraceptive_method") if c.code not in NO_METHOD]


def columns() -> list[Column]:
    return [
        Column("women", "育龄妇女合计", measure="women"),
        Column("unmarried", "未婚", "婚姻状况", measure="unmarried"),
        Column("married", "有配偶", "婚姻状况", measure="married"),
        Column("widowed", "丧偶", "婚姻状况", measure="widowed"),
        Column("divorced", "离婚", "婚姻状况", measure="divorced"),
        Column("marital_other", "未说明", "婚姻状况", measure="marital_other"),
        Column("using", "合计", "已婚育龄妇女采取避孕措施", measure="using"),
        *[
            Column(f"method_{code}", name, "已婚育龄妇女采取避孕措施", measure=f"method_{code}")
            for code, name in _methods()
        ],
        Column("not_using", "未避孕", measure="not_using"),
        Column("cpr", "综合避孕率", fmt="pct1"),
    ]


def _q(frame: Frame) -> dict[str, Q]:
    married = Q(person__marital_status__in=MARRIED)
    using = married & Q(method__isnull=False) & ~Q(method__in=NO_METHOD)
    out = {
        "women": Q(),
        "unmarried": Q(person__marital_status="10"),
        "married": married,
        "widowed": Q(person__marital_status="30"),
        "divorced": Q(person__marital_status="40"),
        "marital_other": ~Q(person__marital_status__in=(*MARRIED, "10", "30", "40")),
        "using": using,
        "not_using": married & (Q(method__isnull=True) | Q(method__in=NO_METHOD)),
    }
    for code, _name in _methods():
        out[f"method_{code}"] = married & Q(method=code)
    return out


def derive(v: dict) -> dict:
    return {"cpr": ratio(v["using"], v["married"], 100)}


class WomenReport(ReportDef):
    key = "women"
    number = 4
    title = "育龄妇女及避孕节育情况统计表"
    description = "15–49岁育龄妇女按婚姻状况；已婚育龄妇女按避孕方法；综合避孕率"

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
            .filter(Q(person__sex="2") & born_aged(ref, 15, 49))
            .annotate(method=Subquery(current))
        )

    def measures(self, frame):
        labels = {c.key: c.label for c in columns()}
        return {k: Measure("women", (lambda f, q=q: q), "育龄妇女 · " + labels[k]) for k, q in _q(frame).items()}

    def drill(self, frame, measure_key):
        q = _q(frame).get(measure_key)
        return None if q is None else self.base(frame).filter(q)

    def run(self, frame: Frame):
        cols = columns()
        data = grouped_counts(self.base(frame), _q(frame))
        rows, total = frame.rows(data, cols, derive)
        section = Section("main", "育龄妇女及避孕节育", "区划", cols, rows, total,
                          note="综合避孕率 = 采取避孕措施的已婚育龄妇女 ÷ 已婚育龄妇女 × 100%。")  # fmt: skip
        methods = [{"name": c.label, "value": total.values[c.key]} for c in cols if c.key.startswith("method_")]
        return result(
            self,
            frame,
            [section],
            basis=f"{frame.params.kind_label}；统计期末（{frame.params.ref}）在册的 15–49 周岁女性；"
            "避孕方法为期末正在使用的方法。",
            charts={"methods": {"items": [m for m in methods if m["value"]]}},
        )
