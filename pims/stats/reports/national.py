"""国人口统1表 年度人口与出生情况 and 国人口统2表 年度节育情况 — the historic national table (国统制〔2008〕78号,
DOMAIN.md §9) in its printed columns, over the period chosen (normally the
statistical year, 10-01 → 09-30: the 统计年度 preset).

期末人口 and 已婚育龄妇女 are stocks at the period's end; 本期出生 the births
approved in the period, 往年出生未报 those of them born before the period
began; 一孩/二孩/多孩 by the child's 孩次 with 其中计划内 (a 政策内 attribute
recorded for the child, pims.programmes facts) — shown only for periods
ending before 2021-08, when births stopped being planned. 其中城镇: the couple
attribution rule — a birth is urban if either parent holds a 非农业 hukou.

领取独生子女证人数: the 独生子女父母光荣证 in force at the period's end —
issued by the county on or before it and not revoked by then (pims.documents),
with the imported historic ones (issued by then, not expired) — one per
couple, in the applying village; 其中农村 by the couple rule: a certificate is
rural if either spouse holds a 农业 hukou.
"""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.lib.dates import aged_q

from ..frame import Frame
from ..tables import Column, Section, ratio
from .base import Measure, ReportDef, grouped_counts, result, spell_base

MARRIED = ("20", "21", "22", "23")
NONAGRI = ("1", "3")
AGRI = ("2", "4")
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
    married_women = Q(person__sex="2", person__marital_status__in=MARRIED) & aged_q(
        frame.params.ref, 15, 49, "person__birth_date"
    )
    return {"population": Q(), "married_women": married_women}


def _honour_counts(frame: Frame) -> dict[str, dict]:
    """领取独生子女证人数 and 其中农村 per row at the period's end."""
    from pims.documents.models import HistoricDocument, HistoricKind, HonourCertificate

    ref = frame.params.ref
    issued = HonourCertificate.objects.filter(county_at__date__lte=ref).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__date__gt=ref)
    )
    rural = Q(husband__hukou_type__in=AGRI) | Q(wife__hukou_type__in=AGRI)
    current = grouped_counts(frame.grouped(frame.scoped(issued)), {"honour": Q(), "honour_rural": rural})
    old = HistoricDocument.objects.filter(kind=HistoricKind.OLD_HONOUR, issue_date__lte=ref).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=ref)
    )
    historic = grouped_counts(
        frame.grouped(frame.scoped(old)), {"honour": Q(), "honour_rural": Q(holder__hukou_type__in=AGRI)}
    )
    out: dict[str, dict] = {}
    for g in set(current) | set(historic):
        a, b = current.get(g, {}), historic.get(g, {})
        out[g] = {k: a.get(k, 0) + b.get(k, 0) for k in ("honour", "honour_rural")}
    return out


def columns(frame: Frame) -> list[Column]:
    plan = frame.params.last <= PLANNED_UNTIL
    out = [
        Column("population", _("期末人口"), measure="population"),
        Column("married_women", _("已婚育龄妇女"), measure="married_women"),
        Column("honour", _("领取独生子女证人数"), fmt="int"),
        Column("honour_rural", _("其中农村"), fmt="int"),
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
        births = {
            k: Measure("opened", (lambda f, q=q: Q(open_reason=Spell.Opened.BIRTH) & q))
            for k, q in _birth_q(frame).items()
        }
        return {**out, **births}

    def run(self, frame: Frame):
        stock = grouped_counts(spell_base(frame, "stock_end"), _stock_q(frame))
        births = grouped_counts(spell_base(frame, "opened").filter(open_reason=Spell.Opened.BIRTH), _birth_q(frame))
        honour = _honour_counts(frame)
        data: dict[str, dict] = {}
        for g in set(stock) | set(births) | set(honour):
            data[g] = {**stock.get(g, {}), **births.get(g, {}), **honour.get(g, {})}
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
                "“其中城镇”：父母一方为非农业户口的出生计为城镇。"
                "领取独生子女证人数：期末有效的独生子女父母光荣证（县级批准发证、期末未撤销，含导入的历史证件），"
                "每对夫妇计一次，计入申请村；夫妻一方为农业户口的计入“其中农村”。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；国统制〔2008〕78号 国人口统1表的口径（统计年度为上年 10 月 1 日至本年 9 月 30 日）")
            % {"kind": frame.params.kind_label},
        )


# --- 国人口统2表 年度节育情况 ------------------------------------------------------

# The printed methods and the codes of the contraceptive_method table behind each.
METHODS = [
    ("vasectomy", _("男扎"), ("01",)),
    ("tubal", _("女扎"), ("02",)),
    ("iud", _("上环"), ("03",)),
    ("implant", _("皮埋"), ("04",)),
    ("pill", _("口服及注射"), ("05", "06")),
    ("condom", _("避孕套"), ("07",)),
    ("topical", _("外用药"), ("08",)),
    ("other", _("其它"), ("99",)),
]
OPERATIONS = METHODS[:4]  # the operations of the period: sterilisations, IUD insertions, implants


def _current_method(ref):
    from pims.registry.models import Contraception

    current = Contraception.objects.filter(woman_id=OuterRef("person_id"), start_date__lte=ref).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=ref)
    )
    return Subquery(current.order_by("-start_date", "-pk").values("method")[:1])


def _women_q(frame: Frame) -> dict[str, Q]:
    out = {"married_women": Q(), "any_method": Q(x_method__isnull=False) & ~Q(x_method="00")}
    for key, _label, codes in METHODS:
        out[key] = Q(x_method__in=codes)
    return out


def _operation_q() -> dict[str, Q]:
    return {f"op_{key}": Q(method__in=codes) for key, _label, codes in OPERATIONS}


def columns2() -> list[Column]:
    return [
        Column("married_women", _("已婚育龄妇女"), measure="married_women"),
        Column("any_method", _("落实节育措施合计"), _("期末节育措施"), measure="any_method"),
        *[Column(key, label, _("期末节育措施"), measure=key) for key, label, _c in METHODS],
        Column("rate", _("综合节育率（%）"), fmt="dec1"),
        *[Column(f"op_{key}", label, _("本期节育手术")) for key, label, _c in OPERATIONS],
    ]


class NationalContraceptionReport(ReportDef):
    key = "national2"
    number = 10
    title = _("国人口统2表 年度节育情况")
    description = _(
        "历史国家报表：期末已婚育龄妇女的节育措施（男扎、女扎、上环、皮埋、口服及注射、避孕套、外用药、其它）和本期节育手术"
    )
    drillable = False

    def base(self, frame: Frame):
        p = frame.params
        married = Q(person__sex="2", person__marital_status__in=MARRIED) & aged_q(p.ref, 15, 49, "person__birth_date")
        return spell_base(frame, "stock_end").filter(married).annotate(x_method=_current_method(p.ref))

    def run(self, frame: Frame):
        from pims.registry.models import Contraception

        p = frame.params
        women = grouped_counts(self.base(frame), _women_q(frame))
        ops = Contraception.objects.filter(start_date__gt=p.start_ref, start_date__lte=p.ref)
        ops = frame.grouped(frame.scoped(ops, "woman__responsible_code"), "woman__responsible_code")
        operations = grouped_counts(ops, _operation_q())
        data: dict[str, dict] = {}
        for g in set(women) | set(operations):
            data[g] = {**women.get(g, {}), **operations.get(g, {})}

        def derive(v: dict) -> dict:
            return {"rate": ratio(v.get("any_method", 0), v.get("married_women", 0), 100)}

        cols = columns2()
        rows, total = frame.rows(data, cols, derive)
        section = Section(
            "main",
            _("年度节育情况"),
            _("区划"),
            cols,
            rows,
            total,
            note=_(
                "期末节育措施：期末已婚育龄妇女（15–49 岁）当日在用的措施；综合节育率 = 落实节育措施合计 ÷ 已婚育龄妇女。"
                "本期节育手术：期内开始的男扎、女扎、上环、皮埋（按妇女的责任区划）。"
            ),
        )
        return result(
            self,
            frame,
            [section],
            basis=_("%(kind)s；国统制〔2008〕78号 国人口统2表的口径") % {"kind": frame.params.kind_label},
        )
