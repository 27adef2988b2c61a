import datetime as dt

import pytest
from django.utils import timezone

from pims.lib.errors import NotPermitted
from pims.registry import completeness, errors
from pims.registry.completeness import BaselineError, completeness_by_village, village_baseline_set
from pims.registry.models import CheckHit, CheckRun
from pims.testing.errors import refused

from .factories import make_household, make_person

TODAY = dt.date(2026, 11, 15)


@pytest.fixture
def small_county(personas, regions):
    """A hand-countable register.

    Village A1 (baseline 4 households / 10 persons):
      hh1: 3 complete persons (one a 4-year-old without education: not needed)
      hh2: 2 persons, one without ethnicity
      hh3: 1 person aged 10 without education; plus a dead member (not counted)
      a dissolved household (not counted)
    Village A2 (no baseline): hh4 with 2 complete persons.
    Village B1 (other township): 1 household — never in township A's figures.
    The latest finished check run over township A found an error on one
    person of hh1 and a warning on hh4; an older run found more.
    """
    a1, a2, b1 = regions["village_a1"], regions["village_a2"], regions["village_b1"]
    edu = {"education": "20"}
    hh1, hh2, hh3 = make_household(a1), make_household(a1), make_household(a1)
    p11 = make_person(hh1, 1, **edu)
    make_person(hh1, 2, sex="2", relationship="10", **edu)
    make_person(hh1, 3, birth_date=dt.date(2022, 1, 1), relationship="20")  # aged 4
    make_person(hh2, 1, **edu)
    make_person(hh2, 2, sex="2", relationship="10", ethnicity="", **edu)
    make_person(hh3, 1, birth_date=dt.date(2016, 1, 1), relationship="20")  # aged 10, no education
    make_person(hh3, 2, status="2", **edu)  # dead
    gone = make_household(a1, status="dissolved")
    make_person(gone, 1, **edu)
    hh4 = make_household(a2)
    p41 = make_person(hh4, 1, no_id_reason="", id_cipher="x", id_masked="2101**", **edu)
    make_person(hh4, 2, sex="2", relationship="10", **edu)
    make_person(make_household(b1), 1, **edu)

    village_baseline_set(actor=personas["reviewer"], village=a1, expected_households=5, expected_persons=12)
    village_baseline_set(actor=personas["county"], village=a1, expected_households=4, expected_persons=10)

    now = timezone.now()
    old = CheckRun.objects.create(
        region=regions["township_a"],
        region_code=regions["township_a"].code,
        state=CheckRun.State.DONE,
        started_at=now - dt.timedelta(days=2),
        finished_at=now - dt.timedelta(days=2),
    )
    run = CheckRun.objects.create(
        region=regions["township_a"],
        region_code=regions["township_a"].code,
        state=CheckRun.State.DONE,
        started_at=now,
        finished_at=now,
    )
    CheckRun.objects.create(
        region=regions["county"],
        region_code=regions["county"].code,
        state=CheckRun.State.FAILED,
        started_at=now,
        finished_at=now + dt.timedelta(hours=1),
    )
    for r in (old, run):
        CheckHit.objects.create(
            run=r, rule_id="R08", severity="error", village_code=a1.code, household=hh1, person=p11, row=1
        )
        CheckHit.objects.create(
            run=r, rule_id="R09", severity="error", village_code=a1.code, household=hh1, person=p11, row=1
        )
    CheckHit.objects.create(
        run=run, rule_id="R41", severity="warning", village_code=a2.code, household=hh4, person=p41, row=1
    )
    CheckHit.objects.create(
        run=old, rule_id="R08", severity="error", village_code=a2.code, household=hh4, person=p41, row=1
    )
    return run


def test_figures_per_village_and_totals(personas, regions, small_county, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        report = completeness_by_village(user=personas["reviewer"], region=regions["township_a"], today=TODAY)
    a1, a2 = report.villages
    assert (a1.village, a2.village) == (regions["village_a1"], regions["village_a2"])

    # 村不漏户 / 户不漏人 against the latest baseline (4 / 10)
    assert (a1.expected_households, a1.households, a1.households_vs_baseline) == (4, 3, 0.75)
    assert (a1.expected_persons, a1.persons, a1.persons_vs_baseline) == (10, 6, 0.6)
    assert a1.persons_per_household == 2.0
    # 人不漏项: hh2 row 2 lacks ethnicity, hh3 row 1 (aged 10) lacks education
    assert (a1.persons_complete, a1.complete_share) == (4, pytest.approx(4 / 6))
    # 项不出错: one person with two errors in the latest run
    assert a1.run == small_county
    assert (a1.persons_with_errors, a1.households_with_errors) == (1, 1)
    assert a1.correct_share == pytest.approx(5 / 6)

    assert a2.expected_households is None and a2.households_vs_baseline is None
    assert (a2.households, a2.persons, a2.persons_complete) == (1, 2, 2)
    assert (a2.persons_with_errors, a2.correct_share) == (0, 1.0)  # a warning is not an error

    t = report.total
    assert (t.households, t.persons, t.persons_complete) == (4, 8, 6)
    assert (t.expected_households, t.expected_persons) == (4, 10)
    assert t.households_vs_baseline == 0.75  # only villages with a baseline
    assert t.persons_vs_baseline == 0.6
    assert t.complete_share == pytest.approx(6 / 8)
    assert t.persons_with_errors == 1 and t.correct_share == pytest.approx(7 / 8)


def test_village_without_check_run_shows_none(personas, regions, small_county):
    CheckRun.objects.all().delete()
    report = completeness_by_village(user=personas["reviewer"], region=regions["township_a"], today=TODAY)
    assert all(f.run is None and f.correct_share is None for f in report.villages)
    assert report.total.correct_share is None


def test_a_county_run_covers_villages(personas, regions, small_county):
    now = timezone.now() + dt.timedelta(hours=2)
    CheckRun.objects.create(
        region=regions["county"],
        region_code=regions["county"].code,
        state=CheckRun.State.DONE,
        started_at=now,
        finished_at=now,
    )
    report = completeness_by_village(user=personas["county"], region=regions["county"], today=TODAY)
    assert [f.village.code for f in report.villages] == [
        regions["village_a1"].code,
        regions["village_a2"].code,
        regions["village_b1"].code,
    ]
    assert all(f.persons_with_errors == 0 for f in report.villages)  # the newest run found nothing


def test_scope_limits_villages(personas, regions, small_county):
    report = completeness_by_village(user=personas["clerk"], region=regions["village_a1"], today=TODAY)
    assert [f.village for f in report.villages] == [regions["village_a1"]]
    assert completeness_by_village(user=personas["auditor"], region=regions["county"], today=TODAY).villages == []


def test_baseline_permissions_and_validation(personas, regions):
    a1 = regions["village_a1"]
    for name in ("clerk", "outsider", "auditor", "sysadmin"):
        with refused(NotPermitted, errors.BASELINE_NOT_YOURS):
            village_baseline_set(actor=personas[name], village=a1, expected_households=1, expected_persons=1)
    for hh, p in [(-1, 3), (3, 2), (True, 3), ("3", 4), (2_000_000, 3_000_000)]:
        with pytest.raises(BaselineError):
            village_baseline_set(actor=personas["operator"], village=a1, expected_households=hh, expected_persons=p)
    with refused(BaselineError, errors.BASELINE_NOT_VILLAGE):
        village_baseline_set(
            actor=personas["operator"], village=regions["township_a"], expected_households=1, expected_persons=1
        )
    village_baseline_set(actor=personas["operator"], village=a1, expected_households=3, expected_persons=8)
    assert completeness.latest_baseline(a1).expected_persons == 8


def test_education_is_required_from_the_sixth_birthday(personas, regions):
    hh = make_household(regions["village_a1"])
    make_person(hh, 1, birth_date=dt.date(2020, 11, 15))  # 6 today: education required
    make_person(hh, 2, birth_date=dt.date(2020, 11, 16), relationship="20")  # 5
    fig, _ = completeness_by_village(user=personas["reviewer"], region=regions["township_a"], today=TODAY).villages
    assert (fig.persons, fig.persons_complete) == (2, 1)
