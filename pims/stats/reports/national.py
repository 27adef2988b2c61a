"""国人口统1表 年度人口与出生情况 — the historic national table (国统制〔2008〕78号,
DOMAIN.md §9) in its printed columns, over the period chosen (normally the
statistical year, 10-01 → 09-30: the 统计年度 preset).

期末人口 and 已婚育龄妇女 are stocks at the period's end; 本期出生 the births
approved in the period, 往年出生未报 those of them born before the period
began; 一孩/二孩/多孩 by the child's 孩次 with 其中计划内 (a 政策内 attribute
recorded for the child, pims.programmes facts) — shown only for periods
ending before 2021-08, when births stopped being planned. 其中城镇: the couple
attribution rule — a birth is urban if either parent holds a 非农业 hukou.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell

from ..frame import Frame, born_aged
from ..tables import Column, Section
from .base import Measure, ReportDef, grouped_counts, result, spell_base

MARRIED = ("20", "21", "22", "23")
NONAGRI = ("1", "3")
PLANNED_UNTIL = "2021-07"  # 计划内 columns only for periods ending by then


def _planned() -> Exists:
    from pims.programmes.models import FactKind, PersonFact, Policy

    return Exists(
        PersonFact.objects.filter(
            person_id=OuterRef("person_id"), kind=FactKind.POLICY, value=Policy.IN, withdrawn_at__isnull=True
        )
    )


def _birth_q(frame: Frame) -> dict[str, Q]:
    before = frame.params.start_ref  # the last day before the period
    out = {
        "births": Q(),
        "late": Q(person__birth_date__lte=before),
        "order1": Q(person__birth__birth_order=1),
        "order2": Q(person__birth__birth_order=2),
        "order3": Q(person__birth__birth_order__gte=3),
        "urban": Q(person__birth__mother__hukou_type__in=NONAGRI) | Q(person__birth__father__hukou_type__in=NONAGRI),
    }
    if frame.params.last <= PLANNED_UNTIL:
        for k in ("order1", "order2", "order3"):
            out[f"{k}_plan"] = out[k] & Q(_planned())
    return out


def _stock_q(frame: Frame) -> dict[str, Q]:
    married_women = Q(person__sex="2", person__marital_status__in=MARRIED) & born_aged(frame.params.ref, 15, 49)
    return {"population": Q(), "married_women": married_women}


def columns(frame: Frame) -> list[Column]:
    plan = frame.params.last <= PLANNED_UNTIL
    out = [
        Column("population", _("期末人口"), measure="population"),
        Column("married_women", _("已婚育龄妇女"), measure="married_women"),
        Column("births", _("本期出生"), measure="births"),
        Column("late", _("往年出生未报"), measure="late"),
    ]
    for key, label in (("order1", _("一孩")), ("order2", _("二孩")), ("order3", _("多孩"))):
        out.append(Column(key, label, _("出生孩次"), measure=key))
        if plan:
            out.append(Column(f"{key}_plan", _("其中计划内"), _("出生孩次"), measure=f"{key}_plan"))
    out.append(Column("urban", _("其中城镇"), measure="urban"))
    return out


class NationalPopulationReport(ReportDef):
    key = "national1"
    number = 9
    title = _("国人口统1表 年度人口与出生情况")
    description = _(
        "历史国家报表：期末人口、已婚育龄妇女、本期出生、往年出生未报、一孩/二孩/多孩（2021 年 8 月前含计划内）"
    )

    def measures(self, frame):
        out = {k: Measure("stock_end", (lambda f, q=q: q), _("国人口统1表")) for k, q in _stock_q(frame).items()}
        births = {k: Measure("opened", (lambda f, q=q: Q(open_reason=Spell.Opened.BIRTH) & q)) for k, q in _birth_q(frame).items()}  # fmt: skip
        return {**out, **births}

    def run(self, frame: Frame):
        stock = grouped_counts(spell_base(frame, "stock_end"), _stock_q(frame))
        births = grouped_counts(spell_base(frame, "opened").filter(open_reason=Spell.Opened.BIRTH), _birth_q(frame))
        data: dict[str, dict] = {}
        for g in set(stock) | set(births):
            data[g] = {**stock.get(g, {}), **births.get(g, {})}
        cols = columns(frame)
        rows, total = frame.rows(data, cols)
        section = Section(
            "main",
            _("年度人口与出生情况"),
            _("区划"),
            cols,
            rows,
            total,
            note=_(
                "期末人口、已婚育龄妇女为期末时点数；出生为期内审核通过的出生登记，往年出生未报为其中出生日期早于本期的。"
                "“计划内”栏只用于 2021 年 8 月以前的统计期（依据子女的政策属性记录）。"
                "“其中城镇”：父母一方为非农业户口的出生计为城镇。领取独生子女证人数由证件模块提供，尚未纳入本表。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；国统制〔2008〕78号 国人口统1表的口径（统计年度为上年 10 月 1 日至本年 9 月 30 日）")
            % {"kind": frame.params.kind_label},
        )
