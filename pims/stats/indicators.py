"""Demographic indicators (docs/statistics.md states every formula).

The counts come from five GROUP BYs by child region (period-end stock,
period-start stock, births, deaths, households); the formulas are plain
functions of the counts (`compute`), so the region's own figure is the
formula over the summed counts of its rows — never an average of ratios.

Mid-period population = (population at the start + at the end of the
period) / 2, the start being the end of the month before the period. Rates
are per 1,000 of that denominator over the period as chosen (a twelve-month
period gives the annual rate); stock ratios use the period-end stock.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.events.models import Spell
from pims.lib.dates import AgeInYears, aged_q
from pims.registry.models import Contraception

from .frame import Frame, Params, report_session
from .reports.base import spell_base
from .reports.population import household_sizes_live
from .tables import Column, Row, Section, ratio

# Spells are counted by their person's age.
PERSON_BORN = "person__birth_date"

FERTILE_GROUPS = [(15 + 5 * i, 19 + 5 * i) for i in range(7)]  # 15–19 … 45–49
MARRIED = ("20", "21", "22", "23")
NO_METHOD = ("", "00")


@dataclass
class Counts:
    p_start: int = 0
    p_end: int = 0
    births: int = 0
    births_male: int = 0
    births_female: int = 0
    deaths: int = 0
    males: int = 0
    females: int = 0
    young: int = 0  # 0–14 at period end
    working: int = 0  # 15–64
    old: int = 0  # 65 and over
    women_start: list[int] = field(default_factory=lambda: [0] * 7)
    women_end: list[int] = field(default_factory=lambda: [0] * 7)
    births_by_age: list[int] = field(default_factory=lambda: [0] * 7)
    households: int = 0
    hh_persons: int = 0
    married_women: int = 0
    married_women_using: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        out = Counts()
        for name, value in vars(self).items():
            theirs = getattr(other, name)
            setattr(
                out,
                name,
                [a + b for a, b in zip(value, theirs, strict=True)] if isinstance(value, list) else value + theirs,
            )
        return out


@dataclass(frozen=True)
class Definition:
    key: str
    label: str | Promise
    unit: str | Promise
    formula: str | Promise
    denominator: str | Promise
    fmt: str = "dec2"


DEFINITIONS = [
    Definition("cbr", _("粗出生率"), "‰", _("出生人数 ÷ 期中人口 × 1000"), _("期中人口 =（期初人口 + 期末人口）÷ 2")),
    Definition("cdr", _("粗死亡率"), "‰", _("死亡人数 ÷ 期中人口 × 1000"), _("期中人口")),
    Definition("rni", _("自然增长率"), "‰", _("粗出生率 − 粗死亡率 =（出生 − 死亡）÷ 期中人口 × 1000"), _("期中人口")),
    Definition("sex_ratio", _("总人口性别比"), _("女=100"), _("期末男性人口 ÷ 期末女性人口 × 100"), _("期末女性人口")),
    Definition("srb", _("出生人口性别比"), _("女=100"), _("期内出生男婴数 ÷ 出生女婴数 × 100"), _("期内出生女婴数")),
    Definition(
        "gfr",
        _("一般生育率"),
        "‰",
        _("出生人数 ÷ 期中 15–49 岁妇女人数 × 1000"),
        _("期中育龄妇女 =（期初 + 期末 15–49 岁妇女）÷ 2，年龄分别按期初、期末周岁"),
    ),
    Definition(
        "tfr",
        _("总和生育率"),
        _("每名妇女"),
        _("5 × Σ 年龄别生育率（15–19 … 45–49 岁组）÷ 1000"),
        _(
            "各年龄组期中妇女人数（年龄别生育率 = 该组母亲的出生数 ÷ 该组期中妇女数 × 1000；"
            "母亲不满 15 岁的计入 15–19 岁组，50 岁及以上的计入 45–49 岁组）"
        ),
    ),
    Definition("young_dep", _("少儿抚养比"), "%", _("期末 0–14 岁人口 ÷ 15–64 岁人口 × 100"), _("期末 15–64 岁人口")),
    Definition("old_dep", _("老年抚养比"), "%", _("期末 65 岁及以上人口 ÷ 15–64 岁人口 × 100"), _("期末 15–64 岁人口")),
    Definition("total_dep", _("总抚养比"), "%", _("少儿抚养比 + 老年抚养比"), _("期末 15–64 岁人口")),
    Definition("ageing", _("老龄化指数"), "%", _("期末 65 岁及以上人口 ÷ 0–14 岁人口 × 100"), _("期末 0–14 岁人口")),
    Definition("avg_hh", _("平均每户人口"), _("人/户"), _("期末户内人口 ÷ 期末户数"), _("期末户数（有在册成员的户）")),
    Definition(
        "cpr",
        _("综合避孕率"),
        "%",
        _("期末采取避孕措施的已婚 15–49 岁妇女 ÷ 已婚 15–49 岁妇女 × 100"),
        _("期末已婚（有配偶）15–49 岁妇女"),
    ),
]


def asfr(c: Counts) -> list[float | None]:
    """Age-specific fertility rates (‰) of the seven five-year groups."""
    return [ratio(b, (s + e) / 2, 1000) for b, s, e in zip(c.births_by_age, c.women_start, c.women_end, strict=True)]


def compute(c: Counts) -> dict[str, float | None]:
    mid = (c.p_start + c.p_end) / 2
    women_mid = (sum(c.women_start) + sum(c.women_end)) / 2
    rates = asfr(c)
    young_dep = ratio(c.young, c.working, 100)
    old_dep = ratio(c.old, c.working, 100)
    return {
        "cbr": ratio(c.births, mid, 1000),
        "cdr": ratio(c.deaths, mid, 1000),
        "rni": ratio(c.births - c.deaths, mid, 1000),
        "sex_ratio": ratio(c.males, c.females, 100),
        "srb": ratio(c.births_male, c.births_female, 100),
        "gfr": ratio(c.births, women_mid, 1000),
        # A group without women contributes nothing (its rate is undefined).
        "tfr": 5 * sum(r for r in rates if r is not None) / 1000 if women_mid else None,
        "young_dep": young_dep,
        "old_dep": old_dep,
        "total_dep": (young_dep + old_dep) if young_dep is not None else None,
        "ageing": ratio(c.old, c.young, 100),
        "avg_hh": ratio(c.hh_persons, c.households),
        "cpr": ratio(c.married_women_using, c.married_women, 100),
    }


# --- gathering the counts -------------------------------------------------------


def _women(ref, i: int) -> Q:
    lo, hi = FERTILE_GROUPS[i]
    return Q(person__sex="2") & aged_q(ref, lo, hi, PERSON_BORN)


def gather(frame: Frame) -> dict[str, Counts]:
    """{row key: Counts} in five set-based statements."""
    p = frame.params
    out: dict[str, Counts] = {}

    def at(g) -> Counts:
        return out.setdefault(g, Counts())

    ref, start_ref = p.ref, p.start_ref
    using = (
        Contraception.objects.filter(woman=OuterRef("person_id"), start_date__lte=ref)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=ref))
        .exclude(method__in=NO_METHOD)
    )
    married_15_49 = Q(person__sex="2", person__marital_status__in=MARRIED) & aged_q(ref, 15, 49, PERSON_BORN)
    end = (
        spell_base(frame, "stock_end")
        .annotate(using=Exists(using))
        .values("g")
        .annotate(
            n=Count("id"),
            males=Count("id", filter=Q(person__sex="1")),
            females=Count("id", filter=Q(person__sex="2")),
            young=Count("id", filter=aged_q(ref, 0, 14, PERSON_BORN)),
            working=Count("id", filter=aged_q(ref, 15, 64, PERSON_BORN)),
            old=Count("id", filter=aged_q(ref, 65, None, PERSON_BORN)),
            married=Count("id", filter=married_15_49),
            married_using=Count("id", filter=married_15_49 & Q(using=True)),
            **{f"w{i}": Count("id", filter=_women(ref, i)) for i in range(7)},
        )
        .order_by()
    )
    for r in end:
        c = at(r["g"])
        c.p_end, c.males, c.females = r["n"], r["males"], r["females"]
        c.young, c.working, c.old = r["young"], r["working"], r["old"]
        c.married_women, c.married_women_using = r["married"], r["married_using"]
        c.women_end = [r[f"w{i}"] for i in range(7)]
    start = (
        spell_base(frame, "stock_start")
        .values("g")
        .annotate(n=Count("id"), **{f"w{i}": Count("id", filter=_women(start_ref, i)) for i in range(7)})
        .order_by()
    )
    for r in start:
        c = at(r["g"])
        c.p_start = r["n"]
        c.women_start = [r[f"w{i}"] for i in range(7)]
    births = (
        spell_base(frame, "opened")
        .filter(open_reason=Spell.Opened.BIRTH)
        .annotate(mage=AgeInYears("person__birth__mother__birth_date", "person__birth_date"))
        .values("g")
        .annotate(
            n=Count("id"),
            male=Count("id", filter=Q(person__sex="1")),
            female=Count("id", filter=Q(person__sex="2")),
            **{f"b{i}": Count("id", filter=_mother_group(i)) for i in range(7)},
        )
        .order_by()
    )
    for r in births:
        c = at(r["g"])
        c.births, c.births_male, c.births_female = r["n"], r["male"], r["female"]
        c.births_by_age = [r[f"b{i}"] for i in range(7)]
    deaths = (
        spell_base(frame, "closed")
        .filter(close_reason=Spell.Closed.DEATH)
        .values("g")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in deaths:
        at(r["g"]).deaths = r["n"]
    for g, _size, households, persons in household_sizes_live(frame):
        c = at(g)
        c.households += households
        c.hh_persons += persons
    return out


def _mother_group(i: int) -> Q:
    """Mother's completed age at the birth in group i; under 15 counts in
    the first group, 50 and over in the last."""
    lo, hi = FERTILE_GROUPS[i]
    q = Q()
    if i > 0:
        q &= Q(mage__gte=lo)
    if i < len(FERTILE_GROUPS) - 1:
        q &= Q(mage__lte=hi)
    return q & Q(mage__isnull=False)


@dataclass
class IndicatorTable:
    section: Section
    asfr: Section
    counts: Counts


def indicators_by_child(*, user, region, params: Params) -> IndicatorTable:
    frame = Frame.build(user, region, params)
    with report_session():
        data = gather(frame)
    columns = [
        Column(d.key, _("%(label)s（%(unit)s）") % {"label": d.label, "unit": d.unit}, fmt=d.fmt) for d in DEFINITIONS
    ]
    keys = [k for k, r in sorted(frame.children.items()) if r.valid_to is None or k in data]
    keys += sorted(k for k in data if k not in frame.children and k)
    rows = []
    total = Counts()
    for k in keys:
        c = data.get(k, Counts())
        total = total + c
        child = frame.children.get(k)
        rows.append(
            Row(
                key=k,
                label=frame.row_label(k),
                values=compute(c),
                code=child.code if child is not None and not frame.is_leaf else "",
            )
        )
    total_row = Row(
        key="", label=_("%(region)s（合计）") % {"region": region.name}, values=compute(total), is_total=True
    )
    section = Section(
        "indicators", _("人口指标"), _("区划"), columns, rows, total_row, unit=_("见列名"), additive=False
    )
    rates = asfr(total)
    asfr_rows = [
        Row(
            key=f"f{i}",
            label=_("%(lo)d–%(hi)d岁") % {"lo": lo, "hi": hi},
            values={
                "births": total.births_by_age[i],
                "women_mid": (total.women_start[i] + total.women_end[i]) / 2,
                "asfr": rates[i],
            },
        )
        for i, (lo, hi) in enumerate(FERTILE_GROUPS)
    ]
    asfr_section = Section(
        "asfr",
        _("年龄别生育率"),
        _("母亲年龄组"),
        [
            Column("births", _("出生数")),
            Column("women_mid", _("期中妇女数"), fmt="dec1"),
            Column("asfr", _("年龄别生育率（‰）"), fmt="dec2"),
        ],
        asfr_rows,
        None,
        additive=False,
    )
    return IndicatorTable(section=section, asfr=asfr_section, counts=total)
