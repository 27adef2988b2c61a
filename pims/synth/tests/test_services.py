"""A generated population written into the register is clean: every
register rule passes, and the stored rows look like the form service's."""

import datetime as dt
from collections import Counter
from io import StringIO

from django.core.management import call_command

from pims.audit.models import AuditEntry
from pims.events.models import Event, Spell
from pims.events.selectors import spell_violations
from pims.lib import clock, crypto
from pims.registry.checks.base import Severity
from pims.registry.checks.runner import check_households
from pims.registry.models import FormState, Household, Person
from pims.registry.personal import citizen_id_index
from pims.synth.generator import Generator, VillageSpec
from pims.synth.services import population_write

AS_OF = clock.today() - dt.timedelta(days=30)  # ages are as of a month before the pinned today


def village_specs(regions, per_village=250):
    return [
        VillageSpec(r.code, r.name, per_village)
        for r in (regions["village_a1"], regions["village_a2"], regions["village_b1"])
    ]


def generate(regions, seed=1, per_village=250):
    specs = village_specs(regions, per_village)
    g = Generator(seed=seed, as_of=AS_OF, other_codes=[s.code for s in specs])
    return g, g.population(specs)


def findings(household_ids):
    out = Counter()
    for i in range(0, len(household_ids), 300):
        for v in check_households(household_ids[i : i + 300]):
            out[(v.rule_id, str(v.severity))] += 1
    return out


def test_generated_population_passes_every_register_rule(regions, codes):
    g, pop = generate(regions)
    result = population_write(actor=None, population=pop, generator=g)
    assert result.persons == len(pop.persons) == Person.objects.count()
    found = findings(list(Household.objects.values_list("pk", flat=True)))
    errors = {k: n for k, n in found.items() if k[1] == Severity.ERROR}
    assert errors == {}
    # Warnings are rare: only chance coincidences (R26: same name, sex and birth date).
    assert set(found) <= {("R26", "warning")}


def test_rows_are_stored_like_the_form_service_stores_them(regions, codes):
    g, pop = generate(regions, per_village=60)
    population_write(actor=None, population=pop, generator=g)
    sample = next(p for p in pop.persons if p.citizen_id and p.phone)
    stored = Person.objects.get(id_index=citizen_id_index(sample.citizen_id))
    assert crypto.decrypt(stored.id_cipher, aad=b"citizen_id") == sample.citizen_id
    assert stored.id_masked == sample.citizen_id[:6] + "********" + sample.citizen_id[-4:]
    assert (stored.id_sex, stored.id_birth_date) == (sample.sex, sample.birth_date)
    assert crypto.decrypt(stored.phone_cipher, aad=b"phone") == sample.phone
    assert stored.name_pinyin and stored.name_initials
    assert set(Household.objects.values_list("form_state", flat=True)) == {FormState.APPROVED}
    assert all(h.head_id for h in Household.objects.filter(hh_type="1"))


def test_every_person_has_a_baseline_and_two_open_spells(regions, codes):
    g, pop = generate(regions, per_village=60)
    population_write(actor=None, population=pop, generator=g)
    n = Person.objects.count()
    assert Event.objects.filter(event_type="baseline", effective_date=AS_OF).count() == n
    assert Spell.objects.filter(end__isnull=True, kind="registered").count() == n
    assert Spell.objects.filter(end__isnull=True, kind="resident").count() == n
    away = Person.objects.filter(residence_status="3").first()
    assert away is not None
    assert away.spells.get(kind="resident").region_code == away.residence_code != away.registered_code
    assert spell_violations() == []  # incl. the spells' copies of sex, birth date …
    assert AuditEntry.objects.filter(action="load", object_type="synth.population").count() == 1


def test_a_second_run_reissues_ids_already_registered_and_ids_continue(regions, codes):
    g, pop = generate(regions, seed=9, per_village=40)
    population_write(actor=None, population=pop, generator=g)
    g2, pop2 = generate(regions, seed=9, per_village=40)  # same seed: same IDs again
    for h in pop2.households:
        h.number = "9" + h.number[1:]
    result = population_write(actor=None, population=pop2, generator=g2)
    assert result.reissued_ids == sum(1 for p in pop2.persons if p.citizen_id)
    assert Person.objects.count() == len(pop.persons) + len(pop2.persons)
    # Sequences were moved past the explicit ids: an ordinary insert still works.
    hh = Household.objects.create(
        village=regions["village_a1"], region_code=regions["village_a1"].code, number="X1", address="测试"
    )
    assert hh.pk > max(Household.objects.exclude(pk=hh.pk).values_list("pk", flat=True))


def test_generate_population_command_writes_a_police_file(regions, codes, tmp_path):
    out = tmp_path / "extract.csv"
    call_command(
        "generate_population",
        "--villages",
        "2101241012",
        "--persons",
        "200",
        "--out",
        str(out),
        "--seed",
        "4",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("公民身份号码,姓名,性别,民族,出生日期,户号")
    assert len(text) - 1 >= 200
    assert Person.objects.count() == 0


def test_generate_population_command_writes_the_database(regions, codes, tmp_path):
    call_command(
        "generate_population", "--villages", "210124102", "--per-village", "50", stdout=StringIO(), stderr=StringIO()
    )
    assert Person.objects.filter(household__region_code="210124102200").count() >= 50


def test_demo_generator_populates_a_county_other_than_faku(codes):
    """康平县 (210123) set up from the shipped Liaoning file, then populated."""
    call_command("load_regions", "--county", "210123", verbosity=0)
    call_command(
        "generate_population", "--villages", "210123101", "--per-village", "20", stdout=StringIO(), stderr=StringIO()
    )

    households = Household.objects.filter(region_code__startswith="210123101")
    assert households.count() > 0
    assert set(households.values_list("form_state", flat=True)) == {FormState.APPROVED}
    persons = Person.objects.filter(household__in=households)
    assert persons.count() >= 20 * households.values("village").distinct().count() * 0.8
    assert not Household.objects.exclude(region_code__startswith="210123").exists()
