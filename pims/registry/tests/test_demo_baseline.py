"""Completeness needs its baseline (issue 15.9): the demo seeds a 摸底
head-count baseline for every village, so all four figures mean something."""

from pims.registry.demo import seed_demo_baselines
from pims.registry.models.sampling import VillageBaseline

from .factories import make_household, make_person


def test_every_village_with_households_gets_a_baseline_once(personas, regions):
    for village in ("village_a1", "village_a2", "village_b1"):
        hh = make_household(regions[village])
        make_person(hh, 1)
        make_person(hh, 2, sex="2", relationship="10")
    assert seed_demo_baselines("210124") == 3
    rows = {b.region_code: b for b in VillageBaseline.objects.all()}
    assert set(rows) == {"210124101200", "210124101201", "210124102200"}
    assert all(b.entered_by == personas["county"] for b in rows.values())
    # the first village (by code) is one household short: not yet complete
    assert (rows["210124101200"].expected_households, rows["210124101200"].expected_persons) == (2, 4)
    assert (rows["210124101201"].expected_households, rows["210124101201"].expected_persons) == (1, 2)
    assert seed_demo_baselines("210124") == 0  # idempotent
