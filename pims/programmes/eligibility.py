"""Eligibility for 奖励扶助 (R1–R7) and 特别扶助 (T1–T6) as named rules.

The same catalogue style as the logic checks (pims.registry.checks): each
condition is a `Condition` with an id, a title, the facts it reads and an SQL
expression for its outcome — ``pass``, ``fail`` or ``missing`` (missing
data: the register cannot decide; a clerk must record a fact). `evaluate`
annotates a Person queryset with every condition's facts and outcome in one
statement, so the same rules judge one person on their page and a whole
county for the candidate list (`candidates` filters on the outcomes in SQL).
The reason a clerk reads is formatted from the row's annotated values; the
children a reason names (R2, R4, T1, T2) come from one extra query per batch.

A person's children are the births where the person is mother or father,
and the children they adopted: a member recorded as 养子/养女 (27/37) of the
household the person heads or is the head's spouse in, with no birth parent in
that household (a stepchild has one). An adopted child counts as a child for
R3, R4, T1 and T2, like a born one; R2 (政策属性) is about births only.
R1 holds for the applicant and the current spouse (the marriage not ended).
Facts the register does not hold — the hukou type recorded before the 2014
reform, a 界定为农村居民 decision, a child's 政策属性, a disability
certificate — are `PersonFact` rows. Every age, date and window is read from
the dated parameter table on 31 December of the confirmation year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import In

from pims.params.selectors import Entry, param_entry
from pims.registry.models import Birth, Marriage, Person

from .models import FactKind, PersonFact, Policy, Programme

DEAD = "2"  # PersonStatus.DEAD
ADOPTED_RELATIONSHIPS = ("27", "37")  # GB/T 4761 养子或继子, 养女或继女
HEAD_OR_SPOUSE = ("02", "10", "11", "12")  # 户主, 配偶, 夫, 妻
ACTIVE = "1"
FEMALE = "2"
AGRI, NONAGRI = ("2", "4"), ("1", "3")  # household_registration_type (GB)
HUKOU_LABELS = {
    "0": "未落常住户口",
    "1": "非农业家庭户口",
    "2": "农业家庭户口",
    "3": "非农业集体户口",
    "4": "农业集体户口",
    "5": "自理口粮户口",
    "6": "寄住户口",
    "7": "暂住户口",
    "8": "其他户口",
}
GRADE_LABELS = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
BATCH = 1000


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    MISSING = "missing"


OUTCOME_LABELS = {Outcome.PASS: "通过", Outcome.FAIL: "未通过", Outcome.MISSING: "缺少资料"}
# The whole outcome: one failed condition fails, else one missing one leaves it open.
OVERALL_LABELS = {Outcome.PASS: "符合条件", Outcome.FAIL: "不符合条件", Outcome.MISSING: "待补充资料"}

# Parameters each programme reads (on 31 December of the confirmation year).
PARAMETERS: dict[str, tuple[str, ...]] = {
    Programme.JIANGFU: (
        "jiangfu.age",
        "jiangfu.birth_floor",
        "jiangfu.era.start",
        "jiangfu.era.end",
        "jiangfu.compliance.start",
        "jiangfu.compliance.end",
        "hukou.reform_date",
    ),
    Programme.TEFU: ("tefu.mother_age", "tefu.birth_floor", "tefu.disability.max_grade"),
}


@dataclass(frozen=True)
class Context:
    """One programme and confirmation year with the parameter values in force."""

    programme: str
    year: int
    entries: dict[str, Entry]

    @classmethod
    def for_year(cls, programme: str, year: int) -> Context:
        day = dt.date(year, 12, 31)
        entries = {}
        for key in PARAMETERS[programme]:
            entry = param_entry(key, day)
            if entry is None:
                from pims.params.errors import NoValueInForce

                raise NoValueInForce(key, day)
            entries[key] = entry
        return cls(programme, year, entries)

    @property
    def day(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    def __getitem__(self, key: str) -> Any:
        return self.entries[key].value

    def unverified(self) -> list[Entry]:
        return [e for e in self.entries.values() if not e.verified]


@dataclass(frozen=True)
class Condition:
    id: str
    programme: str
    title: str
    # The annotations (name → expression) the outcome and the reason read.
    facts: Callable[[Context], dict[str, Any]]
    # SQL for the outcome, over those annotations.
    outcome: Callable[[Context], Any]
    # The reason a clerk reads, from the row (annotated values) and the children.
    reason: Callable[[dict, Context, Outcome], str]
    needs_children: bool = False

    @property
    def column(self) -> str:
        return f"o_{self.id.lower()}"


CONDITIONS: dict[str, list[Condition]] = {Programme.JIANGFU: [], Programme.TEFU: []}


def condition(c: Condition) -> Condition:
    if any(x.id == c.id for x in CONDITIONS[c.programme]):
        raise ValueError(f"duplicate condition {c.id}")
    CONDITIONS[c.programme].append(c)
    return c


def condition_by_id(rule_id: str) -> Condition:
    for conds in CONDITIONS.values():
        for c in conds:
            if c.id == rule_id:
                return c
    raise KeyError(rule_id)


# ---------------------------------------------------------------------------
# SQL building blocks


def _text(value: str) -> Value:
    return Value(str(value), output_field=CharField())


def _case(*whens: When, default: Outcome) -> Case:
    return Case(*whens, default=_text(default), output_field=CharField())


def _when(q: Q, outcome: Outcome) -> When:
    return When(q, then=_text(outcome))


class _Count(Func):
    """COUNT(*) of a subquery's rows (no GROUP BY: one row back)."""

    function = "COUNT"
    template = "COUNT(*)"
    output_field = IntegerField()


def _children() -> QuerySet[Birth]:
    """The outer person's children (births where they are mother or father)."""
    return Birth.objects.filter(Q(mother_id=OuterRef("pk")) | Q(father_id=OuterRef("pk")))


def _adopted_members() -> QuerySet[Person]:
    """The outer person's adopted children: 养子/养女 of the household the
    outer person heads or is the head's spouse in, with no birth parent in
    that household (a stepchild has one). Empty for anyone else, so a count
    over it adds nothing and needs no CASE around it."""
    parent_here = Q(birth__mother__household_id=F("household_id")) | Q(birth__father__household_id=F("household_id"))
    adoptive = Q(household__head_id=OuterRef("pk")) | In(OuterRef("relationship"), list(HEAD_OR_SPOUSE))
    return (
        Person.objects.filter(household_id=OuterRef("household_id"), relationship__in=ADOPTED_RELATIONSHIPS)
        .filter(adoptive)
        .exclude(parent_here)
    )


def _is_adoptive_parent() -> Q:
    """The person heads the household or is the head's spouse."""
    return Q(relationship__in=HEAD_OR_SPOUSE) | Q(household__head_id=F("pk"))


class _Later(Func):
    """The later of two dates, either of which may be NULL (PostgreSQL's
    GREATEST ignores NULLs; SQLite's MAX does not)."""

    function = "GREATEST"
    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        a, b = self.source_expressions
        return Func(Coalesce(a, b), Coalesce(b, a), function="MAX", output_field=DateField()).as_sql(
            compiler, connection
        )


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().annotate(n=_Count()).values("n")[:1]), Value(0))


def _live_facts(kind: str, on: dt.date) -> QuerySet[PersonFact]:
    return PersonFact.objects.filter(kind=kind, withdrawn_at__isnull=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def _children_facts(ctx: Context) -> dict[str, Any]:
    kids, adopted = _children(), _adopted_members()
    living, living_adopted = kids.exclude(child__status=DEAD), adopted.exclude(status=DEAD)
    born_youngest = Subquery(
        kids.order_by("-child__birth_date").values("child__birth_date")[:1], output_field=DateField()
    )
    adopted_youngest = Subquery(adopted.order_by("-birth_date").values("birth_date")[:1], output_field=DateField())
    return {
        "n_children": _count(kids) + _count(adopted),
        "n_living": _count(living) + _count(living_adopted),
        "n_living_daughters": _count(living.filter(child__sex=FEMALE)) + _count(living_adopted.filter(sex=FEMALE)),
        "youngest_birth": _Later(born_youngest, adopted_youngest),
    }


def _year(d: dt.date | None) -> str:
    return str(d.year) if d else "？"


def _adopted_mark(c: dict) -> str:
    return "，收养" if c.get("adopted") else ""


def _child_list(children: list[dict]) -> str:
    return "、".join(f"{c['name']} {_year(c['birth_date'])}{_adopted_mark(c)}" for c in children)


def _child_names(children: list[dict]) -> str:
    return "、".join(f"{c['name']}（{_year(c['birth_date'])}{_adopted_mark(c)}）" for c in children)


def _say(rule_id: str, outcome: Outcome, text: str) -> str:
    return f"{rule_id} {OUTCOME_LABELS[outcome]}：{text}"


# ---------------------------------------------------------------------------
# 奖励扶助 R1–R7 (DOMAIN.md §5)


def _current_marriage() -> QuerySet[Marriage]:
    """The outer person's current marriage (the latest not ended), with the
    other spouse's id as `other`: one subquery per spouse fact."""
    me = OuterRef("pk")
    return (
        Marriage.objects.filter(end_date__isnull=True)
        .filter(Q(husband_id=me) | Q(wife_id=me))
        .annotate(
            other=Case(When(husband_id=me, then=F("wife_id")), default=F("husband_id"), output_field=IntegerField())
        )
        .order_by("-date", "-pk")
    )


def _spouse_value(field: str) -> Subquery:
    me = OuterRef("pk")
    value = Case(
        When(husband_id=me, then=F(f"wife__{field}")), default=F(f"husband__{field}"), output_field=CharField()
    )
    return Subquery(_current_marriage().annotate(x=value).values("x")[:1], output_field=CharField())


def _r1_facts(ctx: Context) -> dict[str, Any]:
    before = ctx["hukou.reform_date"] - dt.timedelta(days=1)

    def historic(ref: str) -> Subquery:
        rows = _live_facts(FactKind.HUKOU, before).filter(person_id=OuterRef(ref)).order_by("-valid_from", "-pk")
        return Subquery(rows.values("value")[:1], output_field=CharField())

    def designated(ref: str) -> Exists:
        return Exists(_live_facts(FactKind.RURAL, ctx.day).filter(person_id=OuterRef(ref)))

    marriage = _current_marriage()
    return {
        "rural_designated": designated("pk"),
        "historic_hukou": historic("pk"),
        "spouse_id": Subquery(marriage.values("other")[:1], output_field=IntegerField()),  # type: ignore[misc]
        "spouse_name": _spouse_value("name"),
        "spouse_hukou": _spouse_value("hukou_type"),
        "spouse_designated": Subquery(
            marriage.annotate(x=designated("other")).values("x")[:1], output_field=BooleanField()
        ),
        "spouse_historic": Subquery(marriage.annotate(x=historic("other")).values("x")[:1], output_field=CharField()),
    }


def _rural_qs(designated: str, historic: str, hukou: str) -> tuple[Q, Q]:
    """(passes, fails) of the rural test over one person's three facts."""
    passes = (
        Q(**{designated: True})
        | Q(**{f"{historic}__in": AGRI})
        | Q(**{f"{historic}__isnull": True, f"{hukou}__in": AGRI})
    )
    fails = ~Q(**{designated: True}) & (
        Q(**{f"{historic}__in": NONAGRI}) | Q(**{f"{historic}__isnull": True, f"{hukou}__in": NONAGRI})
    )
    return passes, fails


def _r1_outcome(ctx: Context) -> Case:
    own_pass, own_fail = _rural_qs("rural_designated", "historic_hukou", "hukou_type")
    spouse_pass, spouse_fail = _rural_qs("spouse_designated", "spouse_historic", "spouse_hukou")
    no_spouse = Q(spouse_id__isnull=True)
    return _case(
        _when(own_fail | spouse_fail, Outcome.FAIL),  # spouse_fail needs a spouse's hukou: no spouse, no fail
        _when(own_pass & (no_spouse | spouse_pass), Outcome.PASS),
        default=Outcome.MISSING,
    )


R1_DESIGNATED = "界定为农村居民"
R1_HISTORIC = "户籍改革（%(date)s）前户口性质为%(label)s"
R1_CURRENT = "户口类别为%(label)s"
R1_UNDECIDED = "户口类别为%(label)s，不能判断农业/非农业，须补录户籍改革前的户口性质或“界定为农村居民”"
R1_SPOUSE = "；配偶 %(name)s %(text)s"


def _rural_text(designated: bool, historic: str | None, hukou: str | None, ctx: Context) -> tuple[Outcome, str]:
    """One person's side of R1: its outcome and the words for it."""
    if designated:
        return Outcome.PASS, R1_DESIGNATED
    if historic:
        label = HUKOU_LABELS.get(historic, historic)
        outcome = Outcome.PASS if historic in AGRI else Outcome.FAIL if historic in NONAGRI else Outcome.MISSING
        return outcome, R1_HISTORIC % {"date": ctx["hukou.reform_date"].isoformat(), "label": label}
    label = HUKOU_LABELS.get(hukou or "", hukou or "空")
    if hukou in AGRI:
        return Outcome.PASS, R1_CURRENT % {"label": label}
    if hukou in NONAGRI:
        return Outcome.FAIL, R1_CURRENT % {"label": label}
    return Outcome.MISSING, R1_UNDECIDED % {"label": label}


def _r1_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    _own, text = _rural_text(row["rural_designated"], row["historic_hukou"], row["hukou_type"], ctx)
    if row["spouse_id"] is not None:
        _side, spouse = _rural_text(row["spouse_designated"], row["spouse_historic"], row["spouse_hukou"], ctx)
        text += R1_SPOUSE % {"name": row["spouse_name"], "text": spouse}
    return _say("R1", outcome, text)


condition(Condition("R1", Programme.JIANGFU, "农村居民", _r1_facts, _r1_outcome, _r1_reason))


def _window_children(ctx: Context) -> QuerySet[Birth]:
    return _children().filter(
        child__birth_date__gte=ctx["jiangfu.compliance.start"], child__birth_date__lte=ctx["jiangfu.compliance.end"]
    )


def _policy_of_child(value: str | None = None) -> Exists:
    facts = PersonFact.objects.filter(kind=FactKind.POLICY, withdrawn_at__isnull=True, person_id=OuterRef("child_id"))
    return Exists(facts.filter(value=value) if value else facts)


def _r2_facts(ctx: Context) -> dict[str, Any]:
    window = _window_children(ctx)
    return {
        "n_out_of_policy": _count(window.filter(_policy_of_child(Policy.OUT))),
        "n_policy_unknown": _count(window.exclude(_policy_of_child())),
    }


def _r2_outcome(ctx: Context) -> Case:
    return _case(
        _when(Q(n_out_of_policy__gt=0), Outcome.FAIL),
        _when(Q(n_policy_unknown__gt=0), Outcome.MISSING),
        default=Outcome.PASS,
    )


R2_CLEAN = "合规期（%(start)s 至 %(end)s）内无政策外生育"
R2_OUT = "子女 %(children)s为政策外生育"
R2_UNKNOWN = "子女 %(children)s无政策属性记录（合规期 %(start)s 至 %(end)s 内出生）"


def _r2_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    window = {"start": ctx["jiangfu.compliance.start"].isoformat(), "end": ctx["jiangfu.compliance.end"].isoformat()}
    start, end = ctx["jiangfu.compliance.start"], ctx["jiangfu.compliance.end"]
    in_window = [c for c in row["children"] if c["birth_date"] and start <= c["birth_date"] <= end]
    if outcome == Outcome.FAIL:
        text = R2_OUT % {"children": _child_names([c for c in in_window if c["policy"] == Policy.OUT])}
    elif outcome == Outcome.MISSING:
        text = R2_UNKNOWN % {"children": _child_names([c for c in in_window if not c["policy"]]), **window}
    else:
        text = R2_CLEAN % window
    return _say("R2", outcome, text)


condition(Condition("R2", Programme.JIANGFU, "政策内生育", _r2_facts, _r2_outcome, _r2_reason, needs_children=True))


def _r3_outcome(ctx: Context) -> Case:
    return _case(
        _when(Q(youngest_birth__isnull=True), Outcome.MISSING),
        _when(
            Q(youngest_birth__gte=ctx["jiangfu.era.start"], youngest_birth__lte=ctx["jiangfu.era.end"]), Outcome.PASS
        ),
        default=Outcome.FAIL,
    )


R3_IN = "最小子女生于 %(date)s，在 %(start)s 至 %(end)s 之间"
R3_OUT = "最小子女生于 %(date)s，不在 %(start)s 至 %(end)s 之间"
R3_NONE = "无子女出生记录"


def _r3_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    era = {"start": ctx["jiangfu.era.start"].isoformat(), "end": ctx["jiangfu.era.end"].isoformat()}
    if outcome == Outcome.MISSING:
        return _say("R3", outcome, R3_NONE)
    template = R3_IN if outcome == Outcome.PASS else R3_OUT
    return _say("R3", outcome, template % {"date": row["youngest_birth"].isoformat(), **era})


condition(Condition("R3", Programme.JIANGFU, "子女出生时段", _children_facts, _r3_outcome, _r3_reason))


def _r4_outcome(ctx: Context) -> Case:
    return _case(
        _when(Q(n_children=0), Outcome.FAIL),
        _when(Q(n_living=1), Outcome.PASS),
        _when(Q(n_living=2, n_living_daughters=2, n_children=2), Outcome.PASS),
        _when(Q(n_living=0), Outcome.PASS),
        default=Outcome.FAIL,
    )


R4_ONE = "现存子女 1 人（%(children)s）"
R4_TWO_GIRLS = "只有两个女孩（%(children)s）"
R4_ALL_DEAD = "子女 %(n)d 人均已死亡，现无子女"
R4_TOO_MANY = "现存子女 %(n)d 人（%(children)s）"
R4_NONE = "无子女记录"


def _r4_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    living = [c for c in row["children"] if c["status"] != DEAD]
    names = _child_list(living)
    if row["n_children"] == 0:
        text = R4_NONE
    elif outcome == Outcome.FAIL:
        text = R4_TOO_MANY % {"n": len(living), "children": names}
    elif not living:
        text = R4_ALL_DEAD % {"n": row["n_children"]}
    elif len(living) == 1:
        text = R4_ONE % {"children": names}
    else:
        text = R4_TWO_GIRLS % {"children": names}
    return _say("R4", outcome, text)


condition(Condition("R4", Programme.JIANGFU, "子女数", _children_facts, _r4_outcome, _r4_reason, needs_children=True))


def _latest_birth(ctx: Context, age_key: str) -> dt.date:
    """The latest birth date of someone who turns the age in the year."""
    return dt.date(ctx.year - ctx[age_key], 12, 31)


def _age_outcome(age_key: str, birth: str = "birth_date") -> Callable[[Context], Case]:
    def outcome(ctx: Context) -> Case:
        return _case(
            _when(Q(**{f"{birth}__isnull": True}), Outcome.MISSING),
            _when(Q(**{f"{birth}__lte": _latest_birth(ctx, age_key)}), Outcome.PASS),
            default=Outcome.FAIL,
        )

    return outcome


AGE_REACHED = "%(who)s%(year)s 年出生，%(confirm)d 年年满 %(age)d 周岁"
AGE_NOT_REACHED = "%(who)s%(year)s 年出生，%(confirm)d 年未满 %(age)d 周岁"


def _age_reason(rule_id: str, age_key: str, birth: str = "birth_date", who: str = "") -> Callable:
    def reason(row: dict, ctx: Context, outcome: Outcome) -> str:
        template = AGE_REACHED if outcome == Outcome.PASS else AGE_NOT_REACHED
        values = {"who": who, "year": _year(row[birth]), "confirm": ctx.year, "age": ctx[age_key]}
        return _say(rule_id, outcome, template % values)

    return reason


def _no_facts(ctx: Context) -> dict[str, Any]:
    return {}


condition(
    Condition("R5", Programme.JIANGFU, "年龄", _no_facts, _age_outcome("jiangfu.age"), _age_reason("R5", "jiangfu.age"))
)


def _floor_outcome(key: str) -> Callable[[Context], Case]:
    return lambda ctx: _case(_when(Q(birth_date__gte=ctx[key]), Outcome.PASS), default=Outcome.FAIL)


FLOOR_OK = "生于 %(date)s，不早于 %(floor)s"
FLOOR_BELOW = "生于 %(date)s，早于 %(floor)s"


def _floor_reason(rule_id: str, key: str) -> Callable:
    def reason(row: dict, ctx: Context, outcome: Outcome) -> str:
        template = FLOOR_OK if outcome == Outcome.PASS else FLOOR_BELOW
        return _say(rule_id, outcome, template % {"date": row["birth_date"].isoformat(), "floor": ctx[key].isoformat()})

    return reason


condition(
    Condition(
        "R6",
        Programme.JIANGFU,
        "出生日期下限",
        _no_facts,
        _floor_outcome("jiangfu.birth_floor"),
        _floor_reason("R6", "jiangfu.birth_floor"),
    )
)


def _alive_outcome(ctx: Context) -> Case:
    return _case(_when(Q(status=DEAD), Outcome.FAIL), default=Outcome.PASS)


ALIVE = "健在"
DIED = "已于 %(date)s 死亡"


def _alive_reason(rule_id: str) -> Callable:
    def reason(row: dict, ctx: Context, outcome: Outcome) -> str:
        if outcome == Outcome.PASS:
            return _say(rule_id, outcome, ALIVE)
        date = row["death_date"].isoformat() if row["death_date"] else "（日期不详）"
        return _say(rule_id, outcome, DIED % {"date": date})

    return reason


condition(Condition("R7", Programme.JIANGFU, "健在", _no_facts, _alive_outcome, _alive_reason("R7")))

# ---------------------------------------------------------------------------
# 特别扶助 T1–T6 (DOMAIN.md §6)


def _t1_outcome(ctx: Context) -> Case:
    return _case(_when(Q(n_children=1), Outcome.PASS), default=Outcome.FAIL)


T1_ONE = "只有子女 1 人（%(children)s）"
T1_OTHER = "子女 %(n)d 人（%(children)s）"
T1_NONE = "无子女记录"


def _t1_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    if row["n_children"] == 0:
        return _say("T1", outcome, T1_NONE)
    names = _child_list(row["children"])
    if outcome == Outcome.PASS:
        return _say("T1", outcome, T1_ONE % {"children": names})
    return _say("T1", outcome, T1_OTHER % {"n": row["n_children"], "children": names})


condition(Condition("T1", Programme.TEFU, "独生子女", _children_facts, _t1_outcome, _t1_reason, needs_children=True))


def _t2_facts(ctx: Context) -> dict[str, Any]:
    grades = [str(g) for g in range(1, ctx["tefu.disability.max_grade"] + 1)]
    certified = _live_facts(FactKind.DISABILITY, ctx.day).filter(person_id=OuterRef("child_id"), value__in=grades)
    adopted_certified = _live_facts(FactKind.DISABILITY, ctx.day).filter(person_id=OuterRef("pk"), value__in=grades)
    return {
        **_children_facts(ctx),
        "n_disabled": _count(_children().filter(Exists(certified)))
        + _count(_adopted_members().filter(Exists(adopted_certified))),
    }


def _t2_outcome(ctx: Context) -> Case:
    return _case(
        _when(Q(n_children=1, n_living=0), Outcome.PASS),
        _when(Q(n_children=1, n_disabled=1), Outcome.PASS),
        default=Outcome.FAIL,
    )


T2_DIED = "独生子女 %(child)s已死亡，现无子女（死亡扶助）"
T2_DISABLED = "独生子女 %(child)s持%(grade)s残疾证（编号 %(number)s，伤残扶助）"
T2_NEITHER = "独生子女 %(child)s健在，且无%(grade)s以上残疾证记录"
T2_NOT_ONE = "不是独生子女家庭（子女 %(n)d 人）"


def tefu_kind(row: dict) -> str:
    """death / disability: which 特扶 rate applies to a passing row."""
    return "death" if row["n_living"] == 0 else "disability"


def _t2_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    if row["n_children"] != 1:
        return _say("T2", outcome, T2_NOT_ONE % {"n": row["n_children"]})
    child = row["children"][0] if row["children"] else {"name": "？", "birth_date": None, "disability": None}
    label = _child_names([child])
    if outcome == Outcome.PASS and row["n_living"] == 0:
        return _say("T2", outcome, T2_DIED % {"child": label})
    if outcome == Outcome.PASS:
        grade, number = child["disability"] or ("", "")
        return _say(
            "T2", outcome, T2_DISABLED % {"child": label, "grade": GRADE_LABELS.get(grade, grade), "number": number}
        )
    max_grade = GRADE_LABELS.get(str(ctx["tefu.disability.max_grade"]), "")
    return _say("T2", outcome, T2_NEITHER % {"child": label, "grade": max_grade})


condition(Condition("T2", Programme.TEFU, "子女死亡或伤残", _t2_facts, _t2_outcome, _t2_reason, needs_children=True))


def _t3_facts(ctx: Context) -> dict[str, Any]:
    child_mother = _children().filter(mother__isnull=False).order_by("child__birth_date")
    wife = Marriage.objects.filter(husband_id=OuterRef("pk")).order_by("-date", "-pk")
    return {
        "mother_birth": Case(
            When(sex=FEMALE, then=F("birth_date")),
            default=Coalesce(
                Subquery(child_mother.values("mother__birth_date")[:1]),
                Subquery(wife.values("wife__birth_date")[:1]),
            ),
            output_field=DateField(),
        ),
        "mother_name": Case(
            When(sex=FEMALE, then=F("name")),
            default=Coalesce(
                Subquery(child_mother.values("mother__name")[:1]), Subquery(wife.values("wife__name")[:1])
            ),
            output_field=CharField(),
        ),
    }


T3_UNKNOWN = "无女方记录（子女的母亲或妻子）"


def _t3_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    if outcome == Outcome.MISSING:
        return _say("T3", outcome, T3_UNKNOWN)
    return _age_reason("T3", "tefu.mother_age", "mother_birth", who=f"女方 {row['mother_name']} ")(row, ctx, outcome)


condition(
    Condition("T3", Programme.TEFU, "女方年龄", _t3_facts, _age_outcome("tefu.mother_age", "mother_birth"), _t3_reason)
)
condition(
    Condition(
        "T4",
        Programme.TEFU,
        "出生日期下限",
        _no_facts,
        _floor_outcome("tefu.birth_floor"),
        _floor_reason("T4", "tefu.birth_floor"),
    )
)

T5_ANY = "城镇、农村均可（户口类别：%(label)s）"


def _t5_reason(row: dict, ctx: Context, outcome: Outcome) -> str:
    return _say("T5", outcome, T5_ANY % {"label": HUKOU_LABELS.get(row["hukou_type"], row["hukou_type"] or "空")})


condition(Condition("T5", Programme.TEFU, "户口", _no_facts, lambda ctx: _case(default=Outcome.PASS), _t5_reason))
condition(Condition("T6", Programme.TEFU, "健在", _no_facts, _alive_outcome, _alive_reason("T6")))

# ---------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    title: str
    outcome: Outcome
    reason: str


@dataclass
class Eligibility:
    person_id: int
    name: str
    programme: str
    year: int
    outcome: Outcome
    verdicts: list[Verdict] = field(default_factory=list)
    row: dict = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return OVERALL_LABELS[self.outcome]

    @property
    def tefu_kind(self) -> str:
        return tefu_kind(self.row) if self.programme == Programme.TEFU else ""

    def verdict(self, rule_id: str) -> Verdict:
        return next(v for v in self.verdicts if v.rule_id == rule_id)


BASE_COLUMNS = ("pk", "name", "sex", "birth_date", "status", "death_date", "hukou_type", "registered_code")


def annotated(programme: str, persons: QuerySet[Person], ctx: Context) -> QuerySet[Person]:
    """`persons` with every condition's facts and outcome (`o_r1` …)."""
    facts: dict[str, Any] = {}
    for c in CONDITIONS[programme]:
        facts.update(c.facts(ctx))
    qs = persons.annotate(**facts) if facts else persons
    return qs.annotate(**{c.column: c.outcome(ctx) for c in CONDITIONS[programme]})


def _overall(outcomes: Iterable[str]) -> Outcome:
    seen = set(outcomes)
    if Outcome.FAIL in seen:
        return Outcome.FAIL
    if Outcome.MISSING in seen:
        return Outcome.MISSING
    return Outcome.PASS


def overall_q(programme: str, outcome: Outcome) -> Q:
    """SQL filter for the whole outcome over an `annotated` queryset."""
    columns = [c.column for c in CONDITIONS[programme]]
    any_fail = Q()
    for col in columns:
        any_fail |= Q(**{col: Outcome.FAIL})
    if outcome == Outcome.FAIL:
        return any_fail
    all_pass = Q(**dict.fromkeys(columns, Outcome.PASS))
    return all_pass if outcome == Outcome.PASS else ~any_fail & ~all_pass


def evaluate(
    programme: str, persons: QuerySet[Person], *, year: int, exclude_failed: bool = False
) -> Iterator[Eligibility]:
    """The eligibility of each person of `persons` for `programme` in `year`
    (with `exclude_failed`, only those who pass or lack data: an SQL filter)."""
    ctx = Context.for_year(programme, year)
    conds = CONDITIONS[programme]
    facts = set()
    for c in conds:
        facts |= set(c.facts(ctx))
    qs = annotated(programme, persons, ctx).order_by("pk")
    if exclude_failed:
        qs = qs.exclude(overall_q(programme, Outcome.FAIL))
    rows = qs.values(*BASE_COLUMNS, *sorted(facts), *(c.column for c in conds))
    need_children = any(c.needs_children for c in conds)
    batch: list[dict] = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            yield from _judge(batch, conds, ctx, need_children)
            batch = []
    if batch:
        yield from _judge(batch, conds, ctx, need_children)


def _judge(rows: list[dict], conds: list[Condition], ctx: Context, need_children: bool) -> Iterator[Eligibility]:
    children = _children_of([r["pk"] for r in rows]) if need_children else {}
    for row in rows:
        row["children"] = children.get(row["pk"], [])
        verdicts = [
            Verdict(c.id, c.title, Outcome(row[c.column]), c.reason(row, ctx, Outcome(row[c.column]))) for c in conds
        ]
        yield Eligibility(
            person_id=row["pk"],
            name=row["name"],
            programme=ctx.programme,
            year=ctx.year,
            outcome=_overall(v.outcome for v in verdicts),
            verdicts=verdicts,
            row=row,
        )


def _children_of(parent_ids: list[int]) -> dict[int, list[dict]]:
    """Each parent's children, born and adopted (name, birth date, sex,
    status, 政策属性, disability grade and number, adopted) in birth order:
    four queries for the batch."""
    births = list(
        Birth.objects.filter(Q(mother_id__in=parent_ids) | Q(father_id__in=parent_ids))
        .order_by("child__birth_date", "child_id")
        .values("mother_id", "father_id", "child_id", "child__name", "child__birth_date", "child__status")
    )
    links = [(b["child_id"], {b["mother_id"], b["father_id"]}) for b in births]
    kids = {
        b["child_id"]: {"name": b["child__name"], "birth_date": b["child__birth_date"], "status": b["child__status"]}
        for b in births
    }
    for kid, parents in _adopted_of(parent_ids):
        links.append((kid["id"], parents))
        kids[kid["id"]] = {**kid, "adopted": True}
    policy: dict[int, str] = {}
    disability: dict[int, tuple[str, str]] = {}
    facts = PersonFact.objects.filter(
        person_id__in=list(kids), kind__in=(FactKind.POLICY, FactKind.DISABILITY), withdrawn_at__isnull=True
    ).order_by("pk")
    for f in facts.values("person_id", "kind", "value", "number"):
        if f["kind"] == FactKind.POLICY:
            policy[f["person_id"]] = f["value"]
        else:
            disability[f["person_id"]] = (f["value"], f["number"])
    wanted = set(parent_ids)
    out: dict[int, list[dict]] = {}
    for child_id, parents in links:
        kid = kids[child_id]
        child = {
            "id": child_id,
            "name": kid["name"],
            "birth_date": kid["birth_date"],
            "status": kid["status"],
            "policy": policy.get(child_id, ""),
            "disability": disability.get(child_id),
            "adopted": kid.get("adopted", False),
        }
        for parent in parents & wanted:
            out.setdefault(parent, []).append(child)
    for children in out.values():
        children.sort(key=lambda c: (c["birth_date"] or dt.date.max, c["id"]))
    return out


def _adopted_of(parent_ids: list[int]) -> list[tuple[dict, set[int]]]:
    """The adopted children of the parents who head their household or are
    the head's spouse, with those parents (the rule of `_adopted_members`)."""
    parents = Person.objects.filter(pk__in=parent_ids).filter(_is_adoptive_parent())
    by_household: dict[int, set[int]] = {}
    for pk, household_id in parents.values_list("pk", "household_id"):
        by_household.setdefault(household_id, set()).add(pk)
    if not by_household:
        return []
    parent_here = Q(birth__mother__household_id=F("household_id")) | Q(birth__father__household_id=F("household_id"))
    adopted = (
        Person.objects.filter(household_id__in=list(by_household), relationship__in=ADOPTED_RELATIONSHIPS)
        .exclude(parent_here)
        .values("pk", "household_id", "name", "birth_date", "status")
    )
    return [
        (
            {"id": a["pk"], "name": a["name"], "birth_date": a["birth_date"], "status": a["status"]},
            by_household[a["household_id"]],
        )
        for a in adopted
    ]


def eligibility_of(programme: str, person: Person, *, year: int) -> Eligibility:
    """One person's eligibility with every condition's reason (person page)."""
    return next(evaluate(programme, Person.objects.filter(pk=person.pk), year=year))


def screen(programme: str, ctx: Context) -> Q:
    """The persons a county-wide run looks at: living parents of the age
    (everyone else fails R4/T1 or R5/T3 and needs no reason)."""
    parent = Q(Exists(Birth.objects.filter(mother_id=OuterRef("pk")))) | Q(
        Exists(Birth.objects.filter(father_id=OuterRef("pk")))
    )
    base = Q(status=ACTIVE) & parent
    if programme == Programme.JIANGFU:
        return base & Q(birth_date__lte=_latest_birth(ctx, "jiangfu.age"))
    return base


def candidates(programme: str, persons: QuerySet[Person], *, year: int) -> QuerySet[Person]:
    """The persons of `persons` who pass every condition: one SQL statement."""
    ctx = Context.for_year(programme, year)
    return annotated(programme, persons.filter(screen(programme, ctx)), ctx).filter(overall_q(programme, Outcome.PASS))


__all__ = [
    "CONDITIONS",
    "Context",
    "Eligibility",
    "Outcome",
    "Verdict",
    "candidates",
    "condition_by_id",
    "eligibility_of",
    "evaluate",
    "screen",
]
