"""A generated year of change events: applied through the events engine, it
keeps the population balance for every region, month and kind; it is the
same for the same seed; every kind of change the issue names occurs."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from pims.events import selectors
from pims.events.models import Event, Spell
from pims.events.periods import periods_between
from pims.registry.models import Person
from pims.registry.personal import outcome_from_payload
from pims.synth.generator import Generator, VillageSpec
from pims.synth.services import event_year_write, population_write
from pims.testing.identity import assert_uuids_whole

BASELINE = dt.date(2024, 12, 31)
YEAR = 2025


def write_population(regions, seed=1, per_village=500):
    villages = [regions["village_a1"], regions["village_a2"], regions["village_b1"]]
    g = Generator(seed=seed, as_of=BASELINE, other_codes=[v.code for v in villages])
    pop = g.population([VillageSpec(v.code, v.name, per_village) for v in villages])
    at = timezone.make_aware(dt.datetime.combine(BASELINE, dt.time(12)))
    population_write(actor=None, population=pop, generator=g, approved_at=at)
    return pop


def a_year(seed=5):
    return event_year_write(
        actor=None, year=YEAR, seed=seed, prefixes=["210124"], after=BASELINE, today=dt.date(YEAR, 12, 31)
    )


def prefixes(regions) -> list[str]:
    return [
        regions["county"].prefix,
        regions["township_a"].prefix,
        regions["township_b"].prefix,
        regions["village_a1"].code,
        regions["village_a2"].code,
        regions["village_b1"].code,
    ]


def test_a_year_of_events_keeps_the_population_balance(regions, codes):
    write_population(regions)
    result = a_year()
    assert (result.months, result.refused) == (12, 0)
    found = Counter(Event.objects.exclude(event_type="baseline").values_list("event_type", flat=True))
    assert found == Counter(result.counts)
    # Every kind of change the issue asks for occurs.
    for kinds in [
        ("birth",),
        ("death",),
        ("marriage",),
        ("pregnancy",),
        ("preg_outcome", "birth"),
        ("contra_start",),
        ("contra_change", "contra_stop"),
        ("move_out",),
        ("move_in",),
        ("move_within",),
        ("flow_out",),
        ("flow_in",),
    ]:
        assert sum(found[k] for k in kinds) > 0, (kinds, found)
    events = Event.objects.exclude(event_type="baseline")
    assert set(events.values_list("review_status", flat=True)) == {"approved"}
    assert_uuids_whole()  # the generator's COPY rows and the engine's bulk_create alike
    assert {e.effective_date.year for e in events} == {YEAR}
    assert all(e.approved_period == e.effective_date.strftime("%Y-%m") for e in events)

    periods = periods_between("2024-12", f"{YEAR}-12")
    for prefix in prefixes(regions):
        for kind in Spell.Kind.values:
            end = selectors.population_end_of(prefix, "2024-11", kind)
            for p in periods:
                b = selectors.population_balance(prefix, p, kind=kind)
                assert b.holds and b.start == end, (prefix, p, kind, b)
                end = b.end
            year = selectors.population_balance(prefix, f"{YEAR}-01", f"{YEAR}-12", kind=kind)
            f = year.flows
            assert year.end == year.start + f.births - f.deaths + f.moved_in - f.moved_out
            assert selectors.population_at(prefix, dt.date(YEAR, 12, 31), kind) == end
    assert selectors.spell_violations() == []
    county = selectors.population_balance(regions["county"].prefix, f"{YEAR}-01", f"{YEAR}-12", kind="registered")
    # Of the order of Liaoning's crude rates (a few per thousand), not zero and not absurd.
    assert 0 < county.flows.births < 0.03 * county.start and 0 < county.flows.deaths < 0.03 * county.start
    born = Person.objects.filter(birth_date__year=YEAR)
    assert born.count() == found["birth"] and all(p.no_id_reason == "1" for p in born)


def signature():
    def key(person):
        return (person.household.region_code, person.household.number, person.row) if person else None

    rows = []
    for e in Event.objects.exclude(event_type="baseline").select_related(
        "person__household", "related_person__household"
    ):
        payload = {
            k: v for k, v in e.payload.items() if k not in ("id_cipher", "outcome_cipher") and not k.endswith("_id")
        }
        if e.payload.get("outcome_cipher"):  # sealed with a fresh nonce each time: compare the outcome
            payload["outcome"] = outcome_from_payload(e.payload)
        rows.append((e.event_type, e.effective_date, key(e.person), key(e.related_person), sorted(payload.items())))
    return sorted(rows, key=repr)


def run_and_roll_back(regions, seed):
    with transaction.atomic():
        write_population(regions, per_village=150)
        a_year(seed)
        out = signature()
        transaction.set_rollback(True)
    return out


def test_the_same_seed_gives_the_same_year(regions, codes):
    first = run_and_roll_back(regions, 5)
    assert first and first == run_and_roll_back(regions, 5)
    assert run_and_roll_back(regions, 6) != first


def test_generate_population_with_events_year(regions, codes):
    out, err = StringIO(), StringIO()
    call_command(
        "generate_population",
        "--villages",
        "210124101",
        "--per-village",
        "150",
        "--seed",
        "3",
        "--events-year",
        str(YEAR),
        stdout=out,
        stderr=err,
    )
    assert "events applied" in out.getvalue() and f"{YEAR}: " in out.getvalue()
    baseline = Event.objects.filter(event_type="baseline")
    assert {e.effective_date for e in baseline} == {dt.date(YEAR - 1, 12, 31)}
    assert {e.approved_period for e in baseline} == {f"{YEAR - 1}-12"}
    assert Event.objects.exclude(event_type="baseline").filter(approved_period__startswith=str(YEAR)).exists()


def test_births_are_steady_month_by_month():
    """The baseline's open pregnancies come due evenly over the months
    (January included), at the calibrated rate; the year's conceptions are
    drawn at the same rate (below)."""
    from pims.synth.event_year import SURVIVAL
    from pims.synth.generator import BIRTH_RATE, PREGNANCY_DAYS

    g = Generator(seed=3, as_of=BASELINE, other_codes=["210124101200", "210124101201"])
    pop = g.population([VillageSpec("210124101200", "a", 10000), VillageSpec("210124101201", "b", 10000)])
    due = Counter((start + dt.timedelta(days=PREGNANCY_DAYS)).month for _, start in pop.pregnancies)
    months = [due[m] for m in range(1, 10)]
    mean = sum(months) / len(months)
    assert min(months) >= 0.4 * mean and max(months) <= 2.0 * mean, months
    per_month = BIRTH_RATE * len(pop.persons) / 12
    assert 0.7 * per_month <= mean * SURVIVAL <= 1.3 * per_month


def test_the_year_draws_conceptions_at_the_calibrated_rate(regions, codes):
    from pims.lib.dates import age_on
    from pims.synth.event_year import EventPlanner, monthly, pregnancy_rate
    from pims.synth.generator import BIRTH_RATE

    write_population(regions)
    planner = EventPlanner(seed=5, year=YEAR, prefixes=["210124"], today=dt.date(YEAR, 12, 31), after=BASELINE)
    planner.plan(f"{YEAR}-01")
    expected = sum(
        min(0.5, monthly(pregnancy_rate(age_on(p.birth, planner.start))) * planner.conception_scale)
        for p in planner.reg.persons
        if planner._at_risk(p, age_on(p.birth, planner.start))
    )
    assert planner.conception_target == pytest.approx(BIRTH_RATE * planner.reg.size / 12 / 0.894, rel=0.01)
    assert expected == pytest.approx(planner.conception_target, rel=0.05)
