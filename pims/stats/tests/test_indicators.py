"""Every indicator against a hand-computed worked example (the same one as
in docs/statistics.md).

The county of the `world` fixture plus a girl born this month in A2:

- start (end of last month): 3 families × 4 = 12 (registered);
- this month: 2 births (a boy in A1 to a mother aged 38, a girl in A2 to a
  mother aged 38), 1 death (a man of 41 in A1), a move out of the county and
  a move in (王五, a man of 36) — so the end is 12 + 2 − 1 − 1 + 1 = 13;
- end stock: 7 men, 6 women; aged 0–14: 7 (three boys of 14, two girls of
  11, the two babies), 15–64: 6, 65+: 0; three women of 38 (15–49) at the
  start and at the end, two of them married and using an IUD (the third is
  the widow); 3 households with 13 members.

    mid-period population  = (12 + 13) / 2 = 12.5
    crude birth rate       = 2 / 12.5 × 1000 = 160.00 ‰
    crude death rate       = 1 / 12.5 × 1000 =  80.00 ‰
    natural increase rate  = 160 − 80        =  80.00 ‰
    sex ratio              = 7 / 6 × 100     = 116.67
    sex ratio at birth     = 1 / 1 × 100     = 100.00
    ASFR 35–39             = 2 / ((3 + 3) / 2) × 1000 = 666.67 ‰ (other groups 0)
    general fertility rate = 2 / 3 × 1000    = 666.67 ‰
    total fertility rate   = 5 × 666.67 / 1000 = 3.33
    young dependency       = 7 / 6 × 100     = 116.67 %
    old dependency         = 0 / 6 × 100     =   0.00 %
    total dependency       = 116.67 %
    ageing index           = 0 / 7 × 100     =   0.00
    average household size = 13 / 3          =   4.33
    contraceptive prevalence = 2 / 2 × 100   = 100.00 %
"""

import pytest
from django.urls import reverse

from pims.events import services as events
from pims.stats import indicators
from pims.stats.frame import Params

from .conftest import THIS_MONTH, file, members


@pytest.fixture
def girl_born_in_a2(world, personas, regions):
    mother = members(world["a2"])["李四"]
    report = events.change_report_create(
        actor=personas["operator"], region_code=regions["village_a2"].code, period=THIS_MONTH
    )
    file(personas, "operator", report, "birth", related_person=mother.pk, name="张小丽", sex="2", relationship="30")
    events.change_report_submit(actor=personas["operator"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=report)
    return world


def test_indicators_match_the_worked_example(girl_born_in_a2, personas, regions):
    table = indicators.indicators_by_child(
        user=personas["county"], region=regions["county"], params=Params(THIS_MONTH, THIS_MONTH)
    )
    county = table.section.total.values
    expected = {
        "cbr": 2 / 12.5 * 1000,
        "cdr": 1 / 12.5 * 1000,
        "rni": 80.0,
        "sex_ratio": 7 / 6 * 100,
        "srb": 100.0,
        "gfr": 2 / 3 * 1000,
        "tfr": 5 * (2 / 3 * 1000) / 1000,
        "young_dep": 7 / 6 * 100,
        "old_dep": 0.0,
        "total_dep": 7 / 6 * 100,
        "ageing": 0.0,
        "avg_hh": 13 / 3,
        "cpr": 100.0,
    }
    assert set(county) == set(expected)
    for key, value in expected.items():
        assert county[key] == pytest.approx(value), key
    asfr = [r.values["asfr"] for r in table.asfr.rows]
    assert asfr == [None, None, None, None, pytest.approx(2 / 3 * 1000), None, None]  # no women: undefined
    assert table.asfr.rows[4].values["women_mid"] == 3

    # Township A on its own: start 8, end 10 (mid 9), 2 births, 1 death.
    a = next(r.values for r in table.section.rows if r.label == "大孤家子镇")
    assert a["cbr"] == pytest.approx(2 / 9 * 1000) and a["cdr"] == pytest.approx(1 / 9 * 1000)
    # Township B has no births: its birth-based ratios are undefined, not 0.
    b = next(r.values for r in table.section.rows if r.label == "三面船镇")
    assert b["srb"] is None and b["cbr"] == 0


def test_compute_handles_empty_denominators_and_formulas():
    empty = indicators.compute(indicators.Counts())
    assert all(v is None for v in empty.values())
    c = indicators.Counts(
        p_start=1000,
        p_end=1010,
        births=12,
        births_male=7,
        births_female=5,
        deaths=8,
        males=505,
        females=505,
        young=150,
        working=700,
        old=160,
        women_start=[30, 35, 40, 40, 35, 30, 30],
        women_end=[30, 35, 40, 40, 35, 30, 30],
        births_by_age=[0, 3, 5, 3, 1, 0, 0],
        households=400,
        hh_persons=1010,
        married_women=180,
        married_women_using=150,
    )
    got = indicators.compute(c)
    assert got["cbr"] == pytest.approx(12 / 1005 * 1000)
    assert got["rni"] == pytest.approx((12 - 8) / 1005 * 1000)
    assert got["tfr"] == pytest.approx(5 * (3 / 35 + 5 / 40 + 3 / 40 + 1 / 35))
    assert got["ageing"] == pytest.approx(160 / 150 * 100)
    assert got["cpr"] == pytest.approx(150 / 180 * 100)


def test_indicator_page_shows_the_region_and_its_townships(girl_born_in_a2, regions, client_for):
    page = client_for("county").get(reverse("stats:indicators", args=[regions["county"].code]), {"period": THIS_MONTH})
    html = page.content.decode()
    assert page.status_code == 200 and "160.00" in html and "期中人口" in html
    assert client_for("outsider").get(reverse("stats:indicators", args=[regions["county"].code])).status_code == 404
