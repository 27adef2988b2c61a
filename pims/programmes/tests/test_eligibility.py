"""Each condition of 奖扶 (R1–R7) and 特扶 (T1–T6), each outcome, with the
reason a clerk reads."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pims.programmes import eligibility
from pims.programmes.eligibility import Outcome, candidates, eligibility_of, evaluate
from pims.programmes.models import FactKind, Policy, Programme
from pims.registry.models import Person

from .families import YEAR, child, fact, jiangfu_family, tefu_family

pytestmark = pytest.mark.django_db

J, T = Programme.JIANGFU, Programme.TEFU


def verdict(programme, person, rule_id, year=YEAR):
    return eligibility_of(programme, person, year=year).verdict(rule_id)


def assert_verdict(programme, person, rule_id, outcome, reason, year=YEAR):
    v = verdict(programme, person, rule_id, year)
    assert (v.outcome, v.reason) == (outcome, reason)


@pytest.fixture
def family(regions):
    return jiangfu_family(regions["village_a1"])


def test_the_eligible_couple_passes_every_condition(family):
    _, husband, wife, _ = family
    for person in (husband, wife):
        result = eligibility_of(J, person, year=YEAR)
        assert result.outcome == Outcome.PASS, [v.reason for v in result.verdicts]
        assert result.label == "符合条件"
    assert {r.person_id for r in evaluate(J, Person.objects.all(), year=YEAR) if r.outcome == Outcome.PASS} == {
        husband.pk,
        wife.pk,
    }


# --- R1 rural ---------------------------------------------------------------


def test_r1_passes_on_agricultural_hukou(family):
    assert_verdict(
        J, family[1], "R1", Outcome.PASS, "R1 通过：户口类别为农业家庭户口；配偶 李大 户口类别为农业家庭户口"
    )


def test_r1_fails_on_non_agricultural_hukou(family):
    husband = family[1]
    husband.hukou_type = "1"
    husband.save()
    assert_verdict(
        J, husband, "R1", Outcome.FAIL, "R1 未通过：户口类别为非农业家庭户口；配偶 李大 户口类别为农业家庭户口"
    )


def test_r1_is_missing_when_the_hukou_type_says_nothing_about_rural(family):
    husband = family[1]
    husband.hukou_type = "8"
    husband.save()
    assert_verdict(
        J,
        husband,
        "R1",
        Outcome.MISSING,
        "R1 缺少资料：户口类别为其他户口，不能判断农业/非农业，须补录户籍改革前的户口性质或“界定为农村居民”"
        "；配偶 李大 户口类别为农业家庭户口",
    )


def test_r1_reads_the_hukou_type_recorded_before_the_reform(family):
    husband = family[1]
    husband.hukou_type = "8"
    husband.save()
    fact(husband, FactKind.HUKOU, "2", valid_from=dt.date(1962, 3, 1), valid_to=dt.date(2014, 7, 29))
    assert_verdict(
        J,
        husband,
        "R1",
        Outcome.PASS,
        "R1 通过：户籍改革（2014-07-30）前户口性质为农业家庭户口；配偶 李大 户口类别为农业家庭户口",
    )


def test_r1_historic_non_agricultural_hukou_fails_whatever_today_says(family):
    husband = family[1]
    fact(husband, FactKind.HUKOU, "1", valid_from=dt.date(1990, 1, 1), valid_to=dt.date(2014, 7, 29))
    assert_verdict(
        J,
        husband,
        "R1",
        Outcome.FAIL,
        "R1 未通过：户籍改革（2014-07-30）前户口性质为非农业家庭户口；配偶 李大 户口类别为农业家庭户口",
    )


def test_r1_passes_on_a_rural_designation(family):
    husband = family[1]
    husband.hukou_type = "1"
    husband.save()
    fact(husband, FactKind.RURAL, valid_from=dt.date(2015, 1, 1))
    assert_verdict(J, husband, "R1", Outcome.PASS, "R1 通过：界定为农村居民；配偶 李大 户口类别为农业家庭户口")


def test_a_withdrawn_fact_no_longer_counts(family):
    from django.utils import timezone

    husband = family[1]
    husband.hukou_type = "1"
    husband.save()
    fact(husband, FactKind.RURAL, withdrawn_at=timezone.now())
    assert verdict(J, husband, "R1").outcome == Outcome.FAIL


def test_r1_fails_when_the_spouse_is_not_rural(family):
    _, husband, wife, _ = family
    wife.hukou_type = "1"
    wife.save()
    for person, own, other in ((husband, "", "李大"), (wife, "非", "张大")):
        spouse = "农业" if person == wife else "非农业"
        reason = f"R1 未通过：户口类别为{own}农业家庭户口；配偶 {other} 户口类别为{spouse}家庭户口"
        assert_verdict(J, person, "R1", Outcome.FAIL, reason)


def test_r1_passes_on_the_spouses_rural_designation_and_waits_for_the_spouses_hukou(family):
    _, husband, wife, _ = family
    wife.hukou_type = "1"
    wife.save()
    fact(wife, FactKind.RURAL, valid_from=dt.date(2015, 1, 1))
    assert_verdict(J, husband, "R1", Outcome.PASS, "R1 通过：户口类别为农业家庭户口；配偶 李大 界定为农村居民")
    wife.hukou_type = "8"
    wife.save()
    wife.programme_facts.update(withdrawn_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    v = verdict(J, husband, "R1")
    assert v.outcome == Outcome.MISSING and "配偶 李大 户口类别为其他户口，不能判断农业/非农业" in v.reason


def test_r1_reads_only_the_current_spouse(family):
    """A marriage that ended (divorce) leaves the applicant judged alone."""
    from pims.registry.models import Marriage

    _, husband, wife, _ = family
    wife.hukou_type = "1"
    wife.save()
    Marriage.objects.filter(husband=husband).update(end_date=dt.date(2000, 1, 1), end_reason="divorce")
    assert_verdict(J, husband, "R1", Outcome.PASS, "R1 通过：户口类别为农业家庭户口")


# --- R2 compliance ----------------------------------------------------------


def test_r2_passes_without_out_of_policy_births(family):
    assert_verdict(J, family[1], "R2", Outcome.PASS, "R2 通过：合规期（1973-01-01 至 2015-12-31）内无政策外生育")


def test_r2_fails_on_an_out_of_policy_birth(family):
    hh, husband, wife, _ = family
    child(hh, 4, husband, wife, name="张二", born=dt.date(1988, 6, 1), policy=Policy.OUT)
    assert_verdict(J, husband, "R2", Outcome.FAIL, "R2 未通过：子女 张二（1988）为政策外生育")


def test_r2_is_missing_when_a_child_has_no_policy_attribute(family):
    hh, husband, wife, _ = family
    child(hh, 4, husband, wife, name="张二", born=dt.date(1988, 6, 1), sex="2", policy="")
    assert_verdict(
        J,
        wife,
        "R2",
        Outcome.MISSING,
        "R2 缺少资料：子女 张二（1988）无政策属性记录（合规期 1973-01-01 至 2015-12-31 内出生）",
    )


# --- R3 era -----------------------------------------------------------------


def test_r3_passes_when_the_youngest_child_was_born_in_the_era(family):
    assert_verdict(
        J, family[1], "R3", Outcome.PASS, "R3 通过：最小子女生于 1985-04-02，在 1980-01-01 至 2015-12-31 之间"
    )


def test_r3_fails_when_the_youngest_child_was_born_after_2015(regions):
    hh, husband, wife, son = jiangfu_family(regions["village_a1"], wife_birth=dt.date(1975, 1, 1))
    Person.objects.filter(pk=son.pk).update(birth_date=dt.date(2016, 2, 1))
    assert_verdict(
        J, husband, "R3", Outcome.FAIL, "R3 未通过：最小子女生于 2016-02-01，不在 1980-01-01 至 2015-12-31 之间"
    )


def test_r3_fails_when_the_only_child_was_born_before_1980(family):
    Person.objects.filter(pk=family[3].pk).update(birth_date=dt.date(1979, 12, 31))
    assert verdict(J, family[1], "R3").outcome == Outcome.FAIL


def test_r3_is_missing_and_r4_fails_without_children(family):
    from pims.registry.models import Birth

    Birth.objects.filter(child=family[3]).delete()
    assert_verdict(J, family[1], "R3", Outcome.MISSING, "R3 缺少资料：无子女出生记录")
    assert_verdict(J, family[1], "R4", Outcome.FAIL, "R4 未通过：无子女记录")


# --- R4 children ------------------------------------------------------------


def test_r4_passes_with_one_living_child(family):
    assert_verdict(J, family[1], "R4", Outcome.PASS, "R4 通过：现存子女 1 人（张一 1985）")


def test_r4_fails_with_two_living_children(family):
    hh, husband, wife, son = family
    Person.objects.filter(pk=son.pk).update(name="张二", birth_date=dt.date(1988, 4, 2))
    child(hh, 4, husband, wife, name="张一", born=dt.date(1985, 1, 5))
    assert_verdict(J, husband, "R4", Outcome.FAIL, "R4 未通过：现存子女 2 人（张一 1985、张二 1988）")


def test_r4_passes_with_only_two_daughters(family):
    hh, husband, wife, son = family
    Person.objects.filter(pk=son.pk).update(sex="2", name="张一")
    child(hh, 4, husband, wife, name="张二", born=dt.date(1988, 6, 1), sex="2")
    assert_verdict(J, husband, "R4", Outcome.PASS, "R4 通过：只有两个女孩（张一 1985、张二 1988）")


def test_r4_passes_when_every_child_died(family):
    Person.objects.filter(pk=family[3].pk).update(status="2", death_date=dt.date(2001, 1, 1))
    assert_verdict(J, family[1], "R4", Outcome.PASS, "R4 通过：子女 1 人均已死亡，现无子女")


def test_r4_dead_child_does_not_count_as_living(family):
    hh, husband, wife, _ = family
    child(hh, 4, husband, wife, name="张二", born=dt.date(1990, 1, 1), status="2")
    assert_verdict(J, husband, "R4", Outcome.PASS, "R4 通过：现存子女 1 人（张一 1985）")


# --- R5 age, R6 floor, R7 alive ----------------------------------------------


def test_r5_passes_for_someone_turning_60_in_the_year(regions):
    _, husband, _, _ = jiangfu_family(regions["village_a1"], husband_birth=dt.date(1966, 12, 31))
    assert_verdict(J, husband, "R5", Outcome.PASS, "R5 通过：1966 年出生，2026 年年满 60 周岁")


def test_r5_fails_for_someone_turning_60_next_year(regions):
    _, husband, _, _ = jiangfu_family(regions["village_a1"], husband_birth=dt.date(1967, 1, 1))
    assert_verdict(J, husband, "R5", Outcome.FAIL, "R5 未通过：1967 年出生，2026 年未满 60 周岁")


def test_r6_passes_from_1933(family):
    assert_verdict(J, family[1], "R6", Outcome.PASS, "R6 通过：生于 1962-03-01，不早于 1933-01-01")


def test_r6_fails_before_1933(regions):
    _, husband, _, _ = jiangfu_family(regions["village_a1"], husband_birth=dt.date(1932, 12, 31))
    assert_verdict(J, husband, "R6", Outcome.FAIL, "R6 未通过：生于 1932-12-31，早于 1933-01-01")


def test_r7_passes_for_the_living_and_fails_after_death(family):
    husband = family[1]
    assert_verdict(J, husband, "R7", Outcome.PASS, "R7 通过：健在")
    Person.objects.filter(pk=husband.pk).update(status="2", death_date=dt.date(2026, 5, 1))
    assert_verdict(J, husband, "R7", Outcome.FAIL, "R7 未通过：已于 2026-05-01 死亡")


def test_a_missing_condition_leaves_the_outcome_open_and_a_failed_one_fails_it(family):
    husband = family[1]
    husband.hukou_type = "8"
    husband.save()
    assert eligibility_of(J, husband, year=YEAR).label == "待补充资料"
    Person.objects.filter(pk=husband.pk).update(birth_date=dt.date(1980, 1, 1))
    assert eligibility_of(J, husband, year=YEAR).outcome == Outcome.FAIL


def test_candidates_are_one_sql_filter_over_the_county(family, regions, django_assert_max_num_queries):
    other = jiangfu_family(regions["village_b1"])
    Person.objects.filter(pk=other[1].pk).update(hukou_type="1")
    eligibility.Context.for_year(J, YEAR)  # the parameter table, read once per process
    with django_assert_max_num_queries(1):
        found = set(candidates(J, Person.objects.all(), year=YEAR).values_list("pk", flat=True))
    # The other husband is urban: he and, by the spouse condition of R1, his wife fail.
    assert found == {family[1].pk, family[2].pk}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first_sex=st.sampled_from(["1", "2"]),
    second_sex=st.sampled_from(["1", "2"]),
    born=st.dates(dt.date(1980, 1, 1), dt.date(2015, 12, 31)),
)
def test_adding_a_living_child_to_an_eligible_one_child_couple_fails_r4(regions, first_sex, second_sex, born):
    """…unless the two children are both daughters (“只有两个女孩” passes R4)."""
    if first_sex == second_sex == "2":
        return
    with transaction.atomic():
        hh, husband, wife, son = jiangfu_family(regions["village_a1"])
        Person.objects.filter(pk=son.pk).update(sex=first_sex)
        assert eligibility_of(J, husband, year=YEAR).outcome == Outcome.PASS
        child(hh, 4, husband, wife, name="张二", born=born, sex=second_sex)
        for parent in (husband, wife):
            result = eligibility_of(J, parent, year=YEAR)
            assert result.verdict("R4").outcome == Outcome.FAIL
            assert result.verdict("R4").reason.startswith("R4 未通过：现存子女 2 人")
            assert result.outcome == Outcome.FAIL
        transaction.set_rollback(True)


# --- 特扶 T1–T6 ----------------------------------------------------------------


@pytest.fixture
def bereaved(regions):
    return tefu_family(regions["village_a1"])


def test_the_bereaved_couple_passes_every_tefu_condition(bereaved):
    for person in bereaved[1:3]:
        result = eligibility_of(T, person, year=YEAR)
        assert result.outcome == Outcome.PASS, [v.reason for v in result.verdicts]
        assert result.tefu_kind == "death"


def test_t1_passes_with_one_child_and_fails_with_two(bereaved):
    hh, husband, wife, _ = bereaved
    assert_verdict(T, husband, "T1", Outcome.PASS, "T1 通过：只有子女 1 人（王一 1995）")
    child(hh, 4, husband, wife, name="王二", born=dt.date(1999, 1, 1))
    assert_verdict(T, husband, "T1", Outcome.FAIL, "T1 未通过：子女 2 人（王一 1995、王二 1999）")
    assert_verdict(T, husband, "T2", Outcome.FAIL, "T2 未通过：不是独生子女家庭（子女 2 人）")


def test_t1_fails_without_children(regions):
    from pims.registry.tests.factories import make_couple

    _, husband, _ = make_couple(regions["village_a1"])
    assert_verdict(T, husband, "T1", Outcome.FAIL, "T1 未通过：无子女记录")


def test_t2_passes_on_the_only_childs_death(bereaved):
    assert_verdict(T, bereaved[2], "T2", Outcome.PASS, "T2 通过：独生子女 王一（1995）已死亡，现无子女（死亡扶助）")


def test_t2_passes_on_a_disability_certificate_of_grade_3_or_worse(regions):
    hh, husband, wife, kid = tefu_family(regions["village_a1"], child_dead=False)
    fact(kid, FactKind.DISABILITY, "2", number="21012419950701202X")
    result = eligibility_of(T, wife, year=YEAR)
    assert (
        result.verdict("T2").reason == "T2 通过：独生子女 王一（1995）持二级残疾证（编号 21012419950701202X，伤残扶助）"
    )
    assert result.tefu_kind == "disability"


def test_t2_fails_for_a_living_child_without_a_certificate_or_with_grade_4(regions):
    hh, husband, wife, kid = tefu_family(regions["village_a1"], child_dead=False)
    assert_verdict(T, wife, "T2", Outcome.FAIL, "T2 未通过：独生子女 王一（1995）健在，且无三级以上残疾证记录")
    fact(kid, FactKind.DISABILITY, "4", number="X")
    assert verdict(T, wife, "T2").outcome == Outcome.FAIL


def test_t3_mothers_age_for_her_and_for_her_husband(regions):
    _, husband, wife, _ = tefu_family(regions["village_a1"], wife_birth=dt.date(1977, 12, 31))
    assert_verdict(T, wife, "T3", Outcome.PASS, "T3 通过：女方 赵大 1977 年出生，2026 年年满 49 周岁")
    assert_verdict(T, husband, "T3", Outcome.PASS, "T3 通过：女方 赵大 1977 年出生，2026 年年满 49 周岁")
    assert_verdict(T, wife, "T3", Outcome.FAIL, "T3 未通过：女方 赵大 1977 年出生，2025 年未满 49 周岁", year=2025)


def test_t3_is_missing_without_a_known_mother(regions):
    from pims.registry.models import Birth, Marriage

    _, husband, wife, kid = tefu_family(regions["village_a1"])
    Birth.objects.filter(child=kid).update(mother=None)
    Marriage.objects.filter(husband=husband).delete()
    assert_verdict(T, husband, "T3", Outcome.MISSING, "T3 缺少资料：无女方记录（子女的母亲或妻子）")


def test_t4_floor_t5_any_hukou_t6_alive(bereaved):
    husband = bereaved[1]
    assert_verdict(T, husband, "T4", Outcome.PASS, "T4 通过：生于 1968-05-01，不早于 1933-01-01")
    assert_verdict(T, husband, "T5", Outcome.PASS, "T5 通过：城镇、农村均可（户口类别：非农业家庭户口）")
    assert_verdict(T, husband, "T6", Outcome.PASS, "T6 通过：健在")
    Person.objects.filter(pk=husband.pk).update(
        birth_date=dt.date(1932, 1, 1), status="2", death_date=dt.date(2026, 1, 2)
    )
    assert_verdict(T, husband, "T4", Outcome.FAIL, "T4 未通过：生于 1932-01-01，早于 1933-01-01")
    assert_verdict(T, husband, "T6", Outcome.FAIL, "T6 未通过：已于 2026-01-02 死亡")


def test_every_condition_is_in_the_catalogue():
    assert [c.id for c in eligibility.CONDITIONS[J]] == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
    assert [c.id for c in eligibility.CONDITIONS[T]] == ["T1", "T2", "T3", "T4", "T5", "T6"]


# --- 收养 (adopted children) ----------------------------------------------------


def adopt(hh, row, *, name, born, sex="2", status="1", birth_parents=None):
    """A 养子/养女 of the household head: no birth record, or one naming
    parents outside the household (`birth_parents` = (mother, father))."""
    from pims.registry.models import Birth
    from pims.registry.tests.factories import make_person

    kid = make_person(hh, row, sex, born, "37" if sex == "2" else "27", "10", name=name, status=status)
    if birth_parents:
        Birth.objects.create(child=kid, mother=birth_parents[0], father=birth_parents[1])
    return kid


def test_an_adopted_child_counts_as_a_child_for_r4_but_not_for_r2(family):
    hh, husband, wife, _ = family
    adopt(hh, 4, name="张养", born=dt.date(1990, 5, 1))  # no 政策属性: R2 is about births
    for parent in (husband, wife):
        result = eligibility_of(J, parent, year=YEAR)
        assert result.verdict("R4").reason == "R4 未通过：现存子女 2 人（张一 1985、张养 1990，收养）"
        assert result.verdict("R2").outcome == Outcome.PASS
        assert result.verdict("R3").reason.startswith("R3 通过：最小子女生于 1990-05-01")


def test_a_couple_with_one_adopted_child_only_passes_r4(regions):
    from pims.registry.models import Birth

    hh, husband, wife, son = jiangfu_family(regions["village_a1"])
    Birth.objects.filter(child=son).delete()
    Person.objects.filter(pk=son.pk).update(relationship="27")  # now the couple's adopted son
    result = eligibility_of(J, husband, year=YEAR)
    assert result.verdict("R4").reason == "R4 通过：现存子女 1 人（张一 1985，收养）"
    assert result.outcome == Outcome.PASS, [v.reason for v in result.verdicts]


def test_an_adopted_child_whose_birth_parents_live_elsewhere_counts(family, regions):
    from pims.registry.tests.factories import make_couple

    hh, husband, wife, _ = family
    _, father, mother = make_couple(regions["village_a2"])
    adopt(hh, 4, name="张养", born=dt.date(1990, 5, 1), sex="1", birth_parents=(mother, father))
    assert verdict(J, husband, "R4").outcome == Outcome.FAIL
    assert verdict(T, father, "T1").reason == "T1 通过：只有子女 1 人（张养 1990）"  # born to them


def test_a_stepchild_is_the_birth_parents_child_only(family, regions):
    """养子/继子 with a birth parent in the household is a stepchild: the
    step-parent's R4 does not count it."""
    from pims.registry.models import Birth

    hh, husband, wife, _ = family
    step = adopt(hh, 4, name="李继", born=dt.date(1983, 1, 1), sex="1")
    Birth.objects.create(child=step, mother=wife, father=None)  # from her earlier marriage
    assert verdict(J, husband, "R4").reason == "R4 通过：现存子女 1 人（张一 1985）"
    assert verdict(J, wife, "R4").reason == "R4 未通过：现存子女 2 人（李继 1983、张一 1985）"


def test_a_later_adoption_ends_tefu_loss(bereaved):
    hh, husband, wife, _ = bereaved
    assert eligibility_of(T, wife, year=YEAR).outcome == Outcome.PASS
    adopt(hh, 4, name="王养", born=dt.date(2021, 1, 1))
    assert_verdict(T, wife, "T1", Outcome.FAIL, "T1 未通过：子女 2 人（王一 1995、王养 2021，收养）")
    assert verdict(T, wife, "T2").outcome == Outcome.FAIL


def test_an_only_adopted_child_with_a_disability_certificate_passes_t2(regions):
    from pims.registry.models import Birth

    hh, husband, wife, kid = tefu_family(regions["village_a1"], child_dead=False)
    Birth.objects.filter(child=kid).delete()
    Person.objects.filter(pk=kid.pk).update(relationship="37")
    fact(kid, FactKind.DISABILITY, "1", number="C1")
    result = eligibility_of(T, husband, year=YEAR)
    assert result.verdict("T1").reason == "T1 通过：只有子女 1 人（王一 1995，收养）"
    assert result.verdict("T2").outcome == Outcome.PASS and "一级残疾证" in result.verdict("T2").reason
