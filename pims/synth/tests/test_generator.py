"""The generator on its own (no database): determinism, calibration and the
internal consistency the register rules will demand."""

import datetime as dt
import random

import pytest

from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id, parse
from pims.lib.dates import age_on
from pims.synth import census
from pims.synth.generator import Generator, VillageSpec

AS_OF = clock.today() - dt.timedelta(days=30)  # ages are as of a month before the pinned today
CODES = [f"2101241012{i:02d}" for i in range(6)]


def generate(seed=5, persons=3000, villages=3):
    g = Generator(seed=seed, as_of=AS_OF, other_codes=CODES)
    pop = g.population([VillageSpec(CODES[i], f"测试{i}村", persons // villages) for i in range(villages)])
    return g, pop


@pytest.fixture(scope="module")
def big():
    return generate(seed=11, persons=40000, villages=4)


def fingerprint(pop):
    return [(p.name, p.sex, p.birth_date, p.citizen_id, p.relationship) for p in pop.persons]


def test_same_seed_gives_the_same_population():
    assert fingerprint(generate(seed=3)[1]) == fingerprint(generate(seed=3)[1])


def test_another_seed_gives_another_population():
    assert fingerprint(generate(seed=3)[1]) != fingerprint(generate(seed=4)[1])


def test_age_and_sex_structure_is_close_to_liaoning_2020(big):
    g, pop = big
    shares = census.summarise((age_on(p.birth_date, AS_OF), p.sex) for p in pop.persons)
    t = census.LIAONING_2020
    for key in ("age_0_14", "age_15_59", "age_60_plus", "age_65_plus"):
        assert abs(shares[key] - t[key]) < 1.5, (key, shares[key], t[key])
    assert abs(shares["sex_ratio"] - t["sex_ratio"]) < 3


def test_household_sizes_and_types_are_plausible(big):
    _, pop = big
    family = [h for h in pop.households if h.hh_type == "1"]
    collective = [h for h in pop.households if h.hh_type == "2"]
    mean = sum(len(h.members) for h in family) / len(family)
    assert 2.0 < mean < 2.7  # bulletin: 2.29
    assert 0.02 < len(collective) / len(pop.households) < 0.06
    assert all(h.head is not None and pop.persons[h.head].relationship == "02" for h in family)
    assert all(sum(pop.persons[k].relationship in ("01", "02") for k in h.members) == 1 for h in family)


def test_citizen_ids_are_valid_unique_and_agree_with_the_person(big):
    _, pop = big
    with_id = [p for p in pop.persons if p.citizen_id]
    assert len({p.citizen_id for p in with_id}) == len(with_id)
    assert len(with_id) > 0.97 * len(pop.persons)
    for p in random.Random(1).sample(with_id, 2000):
        parsed = parse(p.citizen_id)
        assert (parsed.sex, parsed.birth_date, parsed.region_prefix) == (p.sex, p.birth_date, "210124")
    assert all(p.no_id_reason in ("1", "2") for p in pop.persons if not p.citizen_id)


def test_fast_id_equals_make_citizen_id():
    g = Generator()
    rnd = random.Random(2)
    for _ in range(5000):
        birth = dt.date.fromordinal(rnd.randint(dt.date(1920, 1, 1).toordinal(), AS_OF.toordinal()))
        seq = rnd.randint(1, 999)
        assert g._fast_id("210124", birth, seq) == make_citizen_id("210124", birth, seq, "1" if seq % 2 else "2")


def test_marriages_respect_legal_ages(big):
    _, pop = big
    assert pop.marriages
    for h, w, date, _kind in pop.marriages:
        husband, wife = pop.persons[h], pop.persons[w]
        assert (husband.sex, wife.sex) == ("1", "2")
        assert age_on(husband.birth_date, date) >= 22
        assert age_on(wife.birth_date, date) >= 20
        assert date <= AS_OF


def test_births_have_plausible_mothers_and_distinct_orders(big):
    _, pop = big
    orders: dict[int, set] = {}
    for child, mother, father, order in pop.births:
        c = pop.persons[child]
        if mother is not None:
            m = pop.persons[mother]
            assert m.sex == "2" and 20 <= age_on(m.birth_date, c.birth_date) <= 40
            if order is not None:
                assert order not in orders.setdefault(mother, set())
                orders[mother].add(order)
        if father is not None:
            assert pop.persons[father].sex == "1"
            assert age_on(pop.persons[father].birth_date, c.birth_date) >= 15


def test_married_women_of_childbearing_age_have_contraception_or_pregnancy(big):
    _, pop = big
    covered = {w for w, _m, _d in pop.contraceptions} | {w for w, _d in pop.pregnancies}
    for p in pop.persons:
        if p.sex == "2" and p.marital_status in ("20", "21", "22", "23") and 15 <= age_on(p.birth_date, AS_OF) <= 49:
            assert p.key in covered
    assert pop.pregnancies and not ({w for w, _ in pop.pregnancies} & {w for w, m, _ in pop.contraceptions})


def test_part_of_the_population_lives_elsewhere_or_comes_from_elsewhere(big):
    _, pop = big
    away = [p for p in pop.persons if p.residence_status == "3"]
    here = [p for p in pop.persons if p.residence_status == "2"]
    assert 0.04 < len(away) / len(pop.persons) < 0.15
    assert here
    assert all(p.residence_code != p.registered_code for p in away + here)
    assert all(p.registered_code in CODES and p.residence_code in CODES for p in pop.persons)
