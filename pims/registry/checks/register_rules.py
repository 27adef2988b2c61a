"""Register rules: set-based queries over stored rows.

Each `query` receives a Person (or Household) queryset already limited to the
households under check and returns the violating rows, annotated with the
values its message needs. Every rule is one SQL statement (joins and
correlated subqueries, never a Python loop over rows), so the same rule checks
one household at entry and a whole county in batch (`batch`). Dates are only
compared, never subtracted: an age between two dates goes through `age`
(pims.lib.dates.AgeInYears), and an age *now* against a limit becomes a
comparison of the birth date with a cutoff date, which the birth-date index
serves.

`today` is taken when a rule's query is built, i.e. once per check run.

Two sizes, one condition. At entry a rule sees one household: a correlated
EXISTS is a few index lookups. In batch it sees a county: the same EXISTS
under an OR would run once per person, so `in_rows` states "this column is in
that set" once and compiles it as a correlated EXISTS by default and as an
uncorrelated IN (hashed once by PostgreSQL) inside `set_based()`, which the
batch runner uses (docs/benchmarks-checks.md). AND-ed `Exists` are fine for
both (PostgreSQL makes them hash or nested-loop semi/anti joins as the sizes
say). Scalar subqueries appear only in annotations a message shows; a batch
run does not select them.
"""

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, Rank

from pims.codes.models import Code, CodeVersion
from pims.lib import clock
from pims.lib.dates import AgeInYears, years_before
from pims.params.policy import (
    CHILDBEARING_AGE_MAX,
    CHILDBEARING_AGE_MIN,
    FATHER_AGE_USUAL_MIN,
    HIGHER_EDUCATION_MIN_AGE,
    MARITAL_HISTORY_MIN_AGE,
    MARRIAGE_MIN_AGE,
    MOTHER_AGE_MAX,
    MOTHER_AGE_MIN,
    MOTHER_AGE_USUAL_MAX,
    PLAUSIBLE_MAX_AGE,
    childbearing_ages,
    min_marriage_age,
)
from pims.params.selectors import param_expression, param_value

from ..models import Birth, Contraception, Marriage, Person, Pregnancy
from .base import ROW, Rule, Severity, register
from .limits import (
    MARRIAGE_AGE,
    MARRIAGE_AGE_TEXT,
    MOTHER_AGE,
    MOTHER_AGE_TEXT,
    MOTHER_AGE_UNUSUAL,
    MOTHER_AGE_UNUSUAL_TEXT,
    PARENT_OLDER,
    PARENT_OLDER_TEXT,
    SEX_LABEL,
)

E, W = Severity.ERROR, Severity.WARNING

ACTIVE = "1"  # PersonStatus.ACTIVE
DEAD = "2"  # PersonStatus.DEAD
MALE, FEMALE = "1", "2"

# GB/T 4761 relationship to the head of household.
HEAD_CODES = ("01", "02")
SPOUSE_CODES = ("10", "11", "12")
CHILD_CODES = tuple(f"{n:02d}" for n in range(20, 40))  # sons 20–29, daughters 30–39
GRANDCHILD_CODES = tuple(f"{n:02d}" for n in range(40, 50))
PARENT_CODES = tuple(f"{n:02d}" for n in range(50, 60))
# GB/T 2261.2 marital status.
MARRIED = ("20", "21", "22", "23")
EVER_MARRIED = (*MARRIED, "30", "40")
NEVER_MARRIED = "10"
WIDOWED_OR_DIVORCED = ("30", "40")
# GB/T 4658: postgraduate (1x), undergraduate (2x) and college (3x) levels.
HIGHER_EDUCATION = tuple(f"{n}" for n in (*range(10, 20), *range(20, 30), *range(30, 34)))

# Contraceptive methods (节育措施, the family-planning statistics coding; the
# code manual has no such table yet, so the sex of each method is fixed here).
MALE_STERILISATION = ("01",)  # 男性绝育（输精管结扎）
FEMALE_STERILISATION = ("02",)  # 女性绝育（输卵管结扎）
# Methods a woman uses on herself: sterilisation, IUD, implant, pills, injection.
FEMALE_ONLY_METHODS = (*FEMALE_STERILISATION, "03", "04", "05", "06")


# Stored code columns and the code table that must hold their value.
CODE_COLUMNS = [
    ("R43", "ethnicity", "ethnicity", "民族"),
    ("R44", "relationship", "family_relationship", "与户主关系"),
    ("R45", "marital_status", "marital_status", "婚姻状况"),
    ("R46", "hukou_type", "household_registration_type", "户口类别"),
    ("R47", "education", "education", "文化程度"),
    ("R48", "occupation", "occupation", "职业"),
]


_SET_BASED: ContextVar[bool] = ContextVar("set_based_rules", default=False)


@contextmanager
def set_based():
    """Build rule queries for a whole region (see the module docstring)."""
    token = _SET_BASED.set(True)
    try:
        yield
    finally:
        _SET_BASED.reset(token)


def in_rows(rows, column: str, outer: str = "pk") -> Q:
    """The outer row's `outer` value occurs in `column` of the queryset `rows`."""
    if _SET_BASED.get():
        return Q(**{f"{outer}__in": rows.values(column)})
    return Q(Exists(rows.filter(**{column: OuterRef(outer)})))


def today():
    return clock.today()


def age(birth, on):
    """Completed years from `birth` to `on` (field paths, dates or expressions)."""
    return AgeInYears(birth, on)


def age_now():
    return AgeInYears("birth_date", today())


def _cutoff(years: int) -> dt.date:
    """The latest birth date of someone aged at least `years` today."""
    return years_before(today(), years)


def aged_under(years: int) -> Q:
    return Q(birth_date__gt=_cutoff(years))


def aged_over(years: int) -> Q:
    return Q(birth_date__lte=_cutoff(years + 1))


def aged_between(lo: int, hi: int) -> Q:
    return ~aged_under(lo) & ~aged_over(hi)


def _active(qs):
    return qs.filter(status=ACTIVE)


def _members(**filters):
    """Active members of the outer person's household."""
    return Person.objects.filter(household_id=OuterRef("household_id"), status=ACTIVE, **filters)


def _in_household_with(**filters) -> Q:
    """The outer person's household has an active member matching `filters`."""
    return in_rows(Person.objects.filter(status=ACTIVE, **filters), "household_id", outer="household_id")


def _head_birth_date():
    return Subquery(_members(relationship__in=HEAD_CODES).order_by("row").values("birth_date")[:1])


def _in_marriages(**filters) -> Q:
    """The person is husband or wife in a marriage matching `filters`
    (two uncorrelated id sets, each hashed once)."""
    marriages = Marriage.objects.filter(**filters)
    return in_rows(marriages, "husband_id") | in_rows(marriages, "wife_id")


def _with_parents(qs):
    return qs.filter(birth__isnull=False)


# ---------------------------------------------------------------------------
# Marriage age and marital status


def _marriage_age(sex: str):
    """R01/R02 (limits.marriage_age): the age at a dated marriage below the
    legal age in force on the marriage date; a married person without a
    dated marriage, below today's legal age now."""
    role = "husband" if sex == MALE else "wife"
    key = MARRIAGE_MIN_AGE[sex]

    def query(qs):
        # A marriage dated before the birth is R23's business.
        dated = Marriage.objects.filter(date__gt=F(f"{role}__birth_date"))
        too_young = dated.annotate(a=age(f"{role}__birth_date", "date"), m=param_expression(key, "date")).filter(
            a__lt=F("m")
        )
        # A person's first marriage is the one at the youngest age.
        first = Marriage.objects.filter(**{f"{role}_id": OuterRef("pk")}, date__gt=OuterRef("birth_date")).order_by(
            "date"
        )
        now = min_marriage_age(sex, today())
        undated = (
            Q(aged_under(now), status=ACTIVE, marital_status__in=MARRIED) & ~in_rows(dated, f"{role}_id")
            if now is not None
            else Q(pk__in=[])
        )
        at_marriage = first.annotate(a=age(OuterRef("birth_date"), "date")).values("a")[:1]
        limit_then = first.annotate(m=param_expression(key, "date")).values("m")[:1]
        return (
            qs.filter(sex=sex)
            .filter(in_rows(too_young, f"{role}_id") | undated)
            .annotate(
                shown_age=Coalesce(Subquery(at_marriage, output_field=IntegerField()), age_now()),
                min_age=Coalesce(
                    Subquery(limit_then, output_field=IntegerField()), Value(now, output_field=IntegerField())
                ),
                sex_label=Value(SEX_LABEL[sex], output_field=CharField()),
            )
        )

    return query


for _sex, _title in ((MALE, "男性法定婚龄"), (FEMALE, "女性法定婚龄")):
    register(
        Rule(
            MARRIAGE_AGE[_sex],
            _title,
            E,
            "marriage_date",
            ROW + MARRIAGE_AGE_TEXT,
            query=_marriage_age(_sex),
            params=(MARRIAGE_MIN_AGE[_sex],),
        )
    )

# ---------------------------------------------------------------------------
# Household head and spouse


def _head_count(qs):
    heads = Person.objects.filter(relationship__in=HEAD_CODES, status=ACTIVE)
    shown = heads.filter(household_id=OuterRef("pk")).values("household_id").annotate(n=Count("pk")).values("n")
    qs = qs.annotate(heads=Coalesce(Subquery(shown, output_field=IntegerField()), Value(0)))
    if not _SET_BASED.get():
        return qs.exclude(heads=1)
    # No aggregate over every member: households without a head, or with two.
    several = heads.values("household_id").annotate(n=Count("pk")).filter(n__gt=1).values("household_id")
    return qs.filter(~Q(pk__in=heads.values("household_id")) | Q(pk__in=several))


register(
    Rule(
        "R03",
        "家庭户有且只有一名户主",
        E,
        "relationship",
        "家庭户必须有且只有一名户主（现有 {heads} 名）",
        level="household",
        query=lambda qs: _head_count(qs.filter(hh_type="1")),
    )
)
register(
    Rule(
        "R04",
        "户主配偶性别",
        E,
        "sex",
        "第 {row} 行：{name} 是户主的配偶，性别却与户主相同（与户主关系/性别）",
        query=lambda qs: (
            _active(qs)
            .filter(relationship__in=SPOUSE_CODES)
            .filter(Exists(_members(relationship__in=HEAD_CODES, sex=OuterRef("sex"))))
        ),
    )
)
register(
    Rule(
        "R49",
        "夫妻称谓与性别",
        E,
        "relationship",
        "第 {row} 行：{name} 与户主关系为“{relationship}”（11 夫 / 12 妻），与性别不符",
        query=lambda qs: qs.filter(Q(relationship="11", sex=FEMALE) | Q(relationship="12", sex=MALE)),
    )
)
register(
    Rule(
        "R05",
        "户主与配偶应为已婚",
        E,
        "marital_status",
        "第 {row} 行：{name} 为户主或户主配偶（户内有配偶），婚姻状况却是“{marital_status}”，应为已婚（20–23）",
        query=lambda qs: (
            _active(qs)
            .exclude(marital_status__in=MARRIED)
            .filter(
                Q(relationship__in=SPOUSE_CODES)
                | Q(relationship__in=HEAD_CODES, household__hh_type="1")
                & _in_household_with(relationship__in=SPOUSE_CODES)
            )
        ),
    )
)
register(
    Rule(
        "R06",
        "户主已婚但户内无配偶",
        W,
        "marital_status",
        "第 {row} 行：户主 {name} 婚姻状况为已婚，但户内没有登记配偶，请核实配偶是否在其他户登记",
        query=lambda qs: (
            _active(qs)
            .filter(relationship__in=HEAD_CODES, marital_status__in=MARRIED, household__hh_type="1")
            .exclude(Exists(_members(relationship__in=SPOUSE_CODES)))
        ),
    )
)

# ---------------------------------------------------------------------------
# Parents and children


register(
    Rule(
        PARENT_OLDER,
        "父母应年长于子女",
        E,
        "mother_row",
        ROW + PARENT_OLDER_TEXT,
        query=lambda qs: (
            _with_parents(qs)
            .filter(
                Q(birth__mother__birth_date__gte=F("birth_date")) | Q(birth__father__birth_date__gte=F("birth_date"))
            )
            .annotate(
                parent=Coalesce(
                    Subquery(
                        Birth.objects.filter(child_id=OuterRef("pk"), mother__birth_date__gte=OuterRef("birth_date"))
                        .annotate(w=Value("母亲"))
                        .values("w")[:1]
                    ),
                    Value("父亲"),
                )
            )
        ),
    )
)


def _mother_age(qs):
    # A mother not older than the child is R07's business. The limits are
    # those in force on the child's birth date.
    return qs.filter(birth__mother__birth_date__lt=F("birth_date")).annotate(
        mother_age=age("birth__mother__birth_date", "birth_date"),
        min_age=param_expression(MOTHER_AGE_MIN, "birth_date"),
        max_age=param_expression(MOTHER_AGE_MAX, "birth_date"),
    )


register(
    Rule(
        MOTHER_AGE,
        "生育时母亲年龄（错误）",
        E,
        "mother_row",
        ROW + MOTHER_AGE_TEXT,
        query=lambda qs: _mother_age(qs).filter(Q(mother_age__lt=F("min_age")) | Q(mother_age__gt=F("max_age"))),
        params=(MOTHER_AGE_MIN, MOTHER_AGE_MAX),
    )
)
register(
    Rule(
        MOTHER_AGE_UNUSUAL,
        "生育时母亲年龄（提示）",
        W,
        "mother_row",
        ROW + MOTHER_AGE_UNUSUAL_TEXT,
        query=lambda qs: (
            _mother_age(qs)
            .annotate(usual_max=param_expression(MOTHER_AGE_USUAL_MAX, "birth_date"))
            .filter(mother_age__gt=F("usual_max"), mother_age__lte=F("max_age"))
        ),
        params=(MOTHER_AGE_USUAL_MAX, MOTHER_AGE_MAX),
    )
)
# The mother's side of a small age gap is R08/R09; this one is the father's.
register(
    Rule(
        "R10",
        "生育时父亲年龄过小",
        W,
        "father_row",
        "第 {row} 行：{name} 出生时父亲仅 {father_age} 岁（不满 {usual_min} 岁），请核实父亲行号",
        query=lambda qs: (
            qs.filter(birth__father__isnull=False, birth__father__birth_date__lt=F("birth_date"))
            .annotate(
                father_age=age("birth__father__birth_date", "birth_date"),
                usual_min=param_expression(FATHER_AGE_USUAL_MIN, "birth_date"),
            )
            .filter(father_age__lt=F("usual_min"))
        ),
        params=(FATHER_AGE_USUAL_MIN,),
    )
)


def _same_mother_births():
    return Birth.objects.filter(mother_id=OuterRef("birth__mother_id")).exclude(child_id=OuterRef("pk"))


register(
    Rule(
        "R11",
        "同一母亲孩次重复",
        E,
        "birth_order",
        "第 {row} 行：{name} 的孩次 {order} 与母亲的另一个孩子相同",
        query=lambda qs: (
            qs.filter(birth__mother__isnull=False, birth__birth_order__isnull=False)
            .filter(Exists(_same_mother_births().filter(birth_order=OuterRef("birth__birth_order"))))
            .annotate(order=F("birth__birth_order"))
        ),
    )
)


def _out_of_rank():
    """Births whose order is below their rank by birth date among the
    mother's recorded children (twins share a rank): one window pass."""
    ranked = Birth.objects.filter(mother__isnull=False).annotate(
        rank=Window(Rank(), partition_by=F("mother_id"), order_by=F("child__birth_date").asc())
    )
    return ranked.filter(birth_order__isnull=False, birth_order__lt=F("rank")).values("child_id")


def _birth_rank(qs):
    older = (
        _same_mother_births()
        .filter(child__birth_date__lt=OuterRef("birth_date"))
        .values("mother_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = qs.filter(birth__mother__isnull=False, birth__birth_order__isnull=False).annotate(
        order=F("birth__birth_order"),
        rank=Coalesce(Subquery(older, output_field=IntegerField()), Value(0)) + 1,
    )
    # A per-child count for one household; one GROUP BY for a region.
    return qs.filter(pk__in=_out_of_rank()) if _SET_BASED.get() else qs.filter(order__lt=F("rank"))


register(
    Rule(
        "R12",
        "孩次与出生排行不符",
        E,
        "birth_order",
        "第 {row} 行：{name} 的孩次为 {order}，但按出生日期是母亲已登记子女中的第 {rank} 个",
        query=_birth_rank,
    )
)

# ---------------------------------------------------------------------------
# Pregnancy and contraception


def _open_pregnancy(**filters):
    return Pregnancy.objects.filter(woman_id=OuterRef("pk"), ended=False, **filters)


def _open_contraception(**filters):
    return Contraception.objects.filter(woman_id=OuterRef("pk"), end_date__isnull=True, **filters)


register(
    Rule(
        "R13",
        "绝育后怀孕",
        E,
        "pregnant_since",
        "第 {row} 行：{name} 已登记女性绝育且未终止，又登记了未有结局的怀孕（节育措施/怀孕日期）",
        query=lambda qs: qs.filter(
            Exists(_open_contraception(method__in=FEMALE_STERILISATION)), Exists(_open_pregnancy())
        ),
    )
)
register(
    Rule(
        "R14",
        "男性不能登记怀孕",
        E,
        "pregnant_since",
        "第 {row} 行：{name} 性别为男，却登记了怀孕信息（性别/怀孕日期）",
        query=lambda qs: qs.filter(sex=MALE).filter(Exists(Pregnancy.objects.filter(woman_id=OuterRef("pk")))),
    )
)
register(
    Rule(
        "R15",
        "男性登记了女性节育措施",
        E,
        "contraceptive_method",
        "第 {row} 行：{name} 性别为男，却登记了女性节育措施（性别/节育措施）",
        query=lambda qs: qs.filter(sex=MALE).filter(
            Exists(Contraception.objects.filter(woman_id=OuterRef("pk"), method__in=FEMALE_ONLY_METHODS))
        ),
    )
)
# A woman's card sometimes records her husband's vasectomy: a warning, not an error.
register(
    Rule(
        "R16",
        "女性登记了男性绝育",
        W,
        "contraceptive_method",
        "第 {row} 行：{name} 性别为女，却登记了男性绝育，如为配偶结扎请在配偶处登记（性别/节育措施）",
        query=lambda qs: qs.filter(sex=FEMALE).filter(
            Exists(Contraception.objects.filter(woman_id=OuterRef("pk"), method__in=MALE_STERILISATION))
        ),
    )
)


def _outside_childbearing_age(model):
    """Started outside the childbearing ages in force on the start date."""
    return model.objects.annotate(
        a=age("woman__birth_date", "start_date"),
        lo=param_expression(CHILDBEARING_AGE_MIN, "start_date"),
        hi=param_expression(CHILDBEARING_AGE_MAX, "start_date"),
    ).filter(Q(a__lt=F("lo")) | Q(a__gt=F("hi")))


def _today_value(key: str):
    return Value(param_value(key, today()), output_field=IntegerField())


register(
    Rule(
        "R17",
        "怀孕或避孕年龄不在育龄期",
        W,
        "contraception_start",
        "第 {row} 行：{name} 怀孕或开始避孕时不在育龄期（现行 {low}–{high} 岁），请核实出生日期和怀孕/避孕日期",
        query=lambda qs: qs.filter(
            in_rows(_outside_childbearing_age(Pregnancy), "woman_id")
            | in_rows(_outside_childbearing_age(Contraception), "woman_id")
        ).annotate(low=_today_value(CHILDBEARING_AGE_MIN), high=_today_value(CHILDBEARING_AGE_MAX)),
        params=(CHILDBEARING_AGE_MIN, CHILDBEARING_AGE_MAX),
    )
)

# ---------------------------------------------------------------------------
# Dates


register(
    Rule(
        "R18",
        "死亡日期不晚于今天",
        E,
        "death_date",
        "第 {row} 行：{name} 的死亡日期 {death_date} 晚于今天",
        query=lambda qs: qs.filter(death_date__gt=today()),
    )
)
register(
    Rule(
        "R19",
        "结婚日期不晚于今天",
        E,
        "marriage_date",
        "第 {row} 行：{name} 的结婚日期晚于今天",
        query=lambda qs: qs.filter(_in_marriages(date__gt=today())),
    )
)
register(
    Rule(
        "R20",
        "避孕开始日期不晚于今天",
        E,
        "contraception_start",
        "第 {row} 行：{name} 的避孕开始日期晚于今天",
        query=lambda qs: qs.filter(
            Exists(Contraception.objects.filter(woman_id=OuterRef("pk"), start_date__gt=today()))
        ),
    )
)
register(
    Rule(
        "R21",
        "怀孕日期不晚于今天",
        E,
        "pregnant_since",
        "第 {row} 行：{name} 的怀孕日期晚于今天",
        query=lambda qs: qs.filter(Exists(Pregnancy.objects.filter(woman_id=OuterRef("pk"), start_date__gt=today()))),
    )
)
register(
    Rule(
        "R22",
        "死亡日期不早于出生日期",
        E,
        "death_date",
        "第 {row} 行：{name} 的死亡日期 {death_date} 早于出生日期 {birth_date}",
        query=lambda qs: qs.filter(death_date__lt=F("birth_date")),
    )
)
register(
    Rule(
        "R23",
        "结婚日期晚于双方出生日期",
        E,
        "marriage_date",
        "第 {row} 行：{name} 的结婚日期不晚于本人的出生日期 {birth_date}",
        query=lambda qs: qs.filter(
            in_rows(Marriage.objects.filter(date__lte=F("husband__birth_date")), "husband_id")
            | in_rows(Marriage.objects.filter(date__lte=F("wife__birth_date")), "wife_id")
        ),
    )
)

# ---------------------------------------------------------------------------
# Person status


register(
    Rule(
        "R24",
        "有死亡日期应为死亡状态",
        E,
        "status",
        "第 {row} 行：{name} 已填死亡日期 {death_date}，人员状态却不是“死亡”",
        query=lambda qs: qs.filter(death_date__isnull=False).exclude(status=DEAD),
    )
)
register(
    Rule(
        "R25",
        "死亡人员缺少死亡日期",
        W,
        "death_date",
        "第 {row} 行：{name} 的人员状态为死亡，但没有填写死亡日期",
        query=lambda qs: qs.filter(status=DEAD, death_date__isnull=True),
    )
)

# ---------------------------------------------------------------------------
# One person, one registration


register(
    Rule(
        "R26",
        "疑似重复登记",
        W,
        "name",
        "第 {row} 行：{name} 与另一正常户中的人员姓名、性别、出生日期完全相同，可能重复登记",
        query=lambda qs: _possible_duplicates(_active(qs)),
    )
)


def _person_key():
    return Concat("name", Value("|"), "sex", Value("|"), Cast("birth_date", CharField()), output_field=CharField())


def _possible_duplicates(qs):
    registered = Person.objects.filter(status=ACTIVE, household__status="active")
    if not _SET_BASED.get():
        return qs.filter(
            Exists(
                registered.filter(
                    name=OuterRef("name"), sex=OuterRef("sex"), birth_date=OuterRef("birth_date")
                ).exclude(household_id=OuterRef("household_id"))
            )
        )
    # One hash aggregate over the register instead of a self-join per person
    # (MIN/MAX, not COUNT(DISTINCT), which would sort names by collation).
    keys = (
        registered.annotate(key=_person_key())
        .values("key")
        .annotate(first=Min("household_id"), last=Max("household_id"))
        .exclude(first=F("last"))
        .values("key")
    )
    return qs.annotate(key=_person_key()).filter(key__in=keys)


# The unique index on id_index makes this impossible for rows written through
# the services; imported or restored data is checked anyway.
register(
    Rule(
        "R27",
        "公民身份号码重复",
        E,
        "citizen_id",
        "第 {row} 行：{name} 的公民身份号码已在其他人员处登记（全库唯一）",
        query=lambda qs: (
            qs.filter(id_index__isnull=False)
            .exclude(id_index="")
            .filter(Exists(Person.objects.filter(id_index=OuterRef("id_index")).exclude(pk=OuterRef("pk"))))
        ),
    )
)
register(
    Rule(
        "R28",
        "身份号码与性别不符",
        E,
        "sex",
        "第 {row} 行：{name} 的性别与公民身份号码第 17 位不符",
        query=lambda qs: qs.exclude(id_sex="").exclude(id_sex=F("sex")),
    )
)
register(
    Rule(
        "R29",
        "身份号码与出生日期不符",
        E,
        "birth_date",
        "第 {row} 行：{name} 的出生日期 {birth_date} 与公民身份号码中的出生日期不符",
        query=lambda qs: qs.filter(id_birth_date__isnull=False).exclude(id_birth_date=F("birth_date")),
    )
)

# ---------------------------------------------------------------------------
# Residence


register(
    Rule(
        "R30",
        "人户一致但居住地不同",
        E,
        "residence_code",
        "第 {row} 行：{name} 的人户状态为“人户一致”，现居住地区划却与户籍地区划不同",
        query=lambda qs: _active(qs).filter(residence_status="1").exclude(residence_code=F("registered_code")),
    )
)
register(
    Rule(
        "R31",
        "户在人不在但居住地相同",
        E,
        "residence_code",
        "第 {row} 行：{name} 的人户状态为“户在人不在”，现居住地区划却与户籍地区划相同",
        query=lambda qs: _active(qs).filter(residence_status="3", residence_code=F("registered_code")),
    )
)

# ---------------------------------------------------------------------------
# Relationship to the head against age


def _vs_head(qs, codes, **head_birth):
    """Members with these relationships whose head's birth date compares as
    `head_birth` says (e.g. ``birth_date__gt=OuterRef("birth_date")``)."""
    return (
        _active(qs)
        .filter(relationship__in=codes)
        .filter(Exists(_members(relationship__in=HEAD_CODES, **head_birth)))
        .annotate(head_birth=_head_birth_date())
    )


register(
    Rule(
        "R32",
        "子女年长于户主",
        E,
        "relationship",
        "第 {row} 行：{name} 是户主的子女，出生日期 {birth_date} 却早于户主（{head_birth}）",
        query=lambda qs: _vs_head(qs, CHILD_CODES, birth_date__gt=OuterRef("birth_date")),
    )
)
register(
    Rule(
        "R33",
        "父母年轻于户主",
        E,
        "relationship",
        "第 {row} 行：{name} 是户主的父母，出生日期 {birth_date} 却晚于户主（{head_birth}）",
        query=lambda qs: _vs_head(qs, PARENT_CODES, birth_date__lt=OuterRef("birth_date")),
    )
)
register(
    Rule(
        "R34",
        "孙辈年长于户主",
        E,
        "relationship",
        "第 {row} 行：{name} 是户主的孙辈，出生日期 {birth_date} 却早于户主（{head_birth}）",
        query=lambda qs: _vs_head(qs, GRANDCHILD_CODES, birth_date__gt=OuterRef("birth_date")),
    )
)

# ---------------------------------------------------------------------------
# Age against other items


register(
    Rule(
        "R35",
        "未达年龄不能有婚史",
        E,
        "marital_status",
        "第 {row} 行：{name} 现年 {age} 岁（不满 {limit} 岁），婚姻状况却为“{marital_status}”",
        query=lambda qs: (
            _active(qs)
            .filter(aged_under(param_value(MARITAL_HISTORY_MIN_AGE, today())), marital_status__in=EVER_MARRIED)
            .annotate(age=age_now(), limit=_today_value(MARITAL_HISTORY_MIN_AGE))
        ),
        params=(MARITAL_HISTORY_MIN_AGE,),
    )
)
register(
    Rule(
        "R36",
        "文化程度与年龄不符",
        W,
        "education",
        "第 {row} 行：{name} 现年 {age} 岁（不满 {limit} 岁），文化程度“{education}”为大专及以上，请核实",
        query=lambda qs: (
            _active(qs)
            .filter(aged_under(param_value(HIGHER_EDUCATION_MIN_AGE, today())), education__in=HIGHER_EDUCATION)
            .annotate(age=age_now(), limit=_today_value(HIGHER_EDUCATION_MIN_AGE))
        ),
        params=(HIGHER_EDUCATION_MIN_AGE,),
    )
)
register(
    Rule(
        "R37",
        "年龄超过提示上限",
        W,
        "birth_date",
        "第 {row} 行：{name} 现年 {age} 岁，超过 {limit} 岁，请核实出生日期",
        query=lambda qs: (
            _active(qs)
            .filter(aged_over(param_value(PLAUSIBLE_MAX_AGE, today())))
            .annotate(age=age_now(), limit=_today_value(PLAUSIBLE_MAX_AGE))
        ),
        params=(PLAUSIBLE_MAX_AGE,),
    )
)
register(
    Rule(
        "R38",
        "集体户内有家庭关系",
        W,
        "relationship",
        "第 {row} 行：{name} 在集体户中，与户主关系却为配偶或子女，请核实户类型",
        query=lambda qs: _active(qs).filter(household__hh_type="2", relationship__in=(*SPOUSE_CODES, *CHILD_CODES)),
    )
)

# ---------------------------------------------------------------------------
# Marital status against marriage records


register(
    Rule(
        "R39",
        "未婚却有在续婚姻",
        E,
        "marital_status",
        "第 {row} 行：{name} 婚姻状况为未婚，却登记了未终止的婚姻",
        query=lambda qs: _active(qs).filter(marital_status=NEVER_MARRIED).filter(_in_marriages(end_date__isnull=True)),
    )
)
register(
    Rule(
        "R40",
        "丧偶或离婚却有在续婚姻",
        E,
        "marital_status",
        "第 {row} 行：{name} 婚姻状况为“{marital_status}”（丧偶/离婚），却登记了未终止的婚姻",
        query=lambda qs: (
            _active(qs).filter(marital_status__in=WIDOWED_OR_DIVORCED).filter(_in_marriages(end_date__isnull=True))
        ),
    )
)

# ---------------------------------------------------------------------------
# Required items per category


def _missing_family_planning(qs):
    lo, hi = childbearing_ages(today())
    return (
        _active(qs)
        .filter(aged_between(lo, hi), sex=FEMALE, marital_status__in=MARRIED)
        .annotate(age=age_now())
        .exclude(Exists(_open_contraception()))
        .exclude(Exists(_open_pregnancy()))
    )


register(
    Rule(
        "R41",
        "育龄妇女避孕节育信息缺失",
        W,
        "contraceptive_method",
        "第 {row} 行：{name} 为 {age} 岁已婚育龄妇女，既没有在用的节育措施也没有怀孕信息（育龄妇女避孕节育信息缺失）",
        query=_missing_family_planning,
        params=(CHILDBEARING_AGE_MIN, CHILDBEARING_AGE_MAX),
    )
)
register(
    Rule(
        "R42",
        "出生信息中的父母性别",
        E,
        "mother_row",
        "第 {row} 行：{name} 的母亲行号指向男性或父亲行号指向女性（母亲行号/父亲行号）",
        query=lambda qs: _with_parents(qs).filter(Q(birth__mother__sex=MALE) | Q(birth__father__sex=FEMALE)),
    )
)

# ---------------------------------------------------------------------------
# Stored codes against the current code tables


def _code_rule(rule_id, column, table, label):
    def query(qs):
        current = CodeVersion.objects.filter(table__key=table, is_current=True)
        known = Code.objects.filter(version__table__key=table, version__is_current=True, code=OuterRef(column))
        # No current table (not loaded yet): nothing can be judged.
        return qs.exclude(**{column: ""}).filter(Exists(current)).exclude(Exists(known))

    register(
        Rule(
            rule_id,
            f"{label}代码有效",
            E,
            column,
            f"第 {{row}} 行：{{name}} 的{label}代码“{{{column}}}”不在当前代码表中",
            query=query,
        )
    )


for _args in CODE_COLUMNS:
    _code_rule(*_args)
