"""The national snapshot: no personal data in it, and the reference reader's
population per county and sex equals the register's own count."""

import datetime as dt

import duckdb
import pytest
from django.core.management import call_command

from pims.bundles import snapshot
from pims.events.models import Event, EventType, Spell
from pims.regions.models import Level, Region
from pims.registry.models import Person
from pims.registry.tests.factories import make_household, make_person

from .conftest import february as february  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _second_county(regions) -> Region:
    """Another county of the city with one registered person (康平县)."""
    made: dict[str, Region] = {}
    for code, name, level, parent in (
        ("210123000000", "康平县", Level.COUNTY, regions["city"]),
        ("210123101000", "康平镇", Level.TOWNSHIP, None),
        ("210123101200", "康平村", Level.VILLAGE, None),
    ):
        made[code] = Region.objects.create(
            code=code, name=name, level=level, parent=parent or list(made.values())[-1], valid_from=dt.date(2023, 6, 30)
        )
    village = made["210123101200"]
    hh = make_household(village)
    person = make_person(hh, sex="2", name="康平甲乙丙")
    event = Event.objects.create(
        event_type=EventType.BASELINE,
        person=person,
        household=hh,
        region_code=village.code,
        effective_date=dt.date(2027, 2, 1),
        report_date=dt.date(2027, 2, 1),
        review_status=Event.Review.APPROVED,
        approved_period="2027-02",
    )
    Spell.objects.create(
        person=person,
        household=hh,
        kind=Spell.Kind.REGISTERED,
        region_code=village.code,
        start=dt.date(2027, 2, 1),
        opened_by=event,
    )
    return made["210123000000"]


def _register_count() -> dict:
    out: dict = {}
    for code, sex in Spell.objects.filter(kind=Spell.Kind.REGISTERED, end__isnull=True).values_list(
        "region_code", "person__sex"
    ):
        key = (code[:6] + "000000", sex)
        out[key] = out.get(key, 0) + 1
    return out


def test_the_reader_counts_what_the_register_counts_and_nothing_identifies(february, regions, tmp_path):  # noqa: F811
    other = _second_county(regions)
    for county in (regions["county"].code, other.code):
        call_command("snapshot_write", "--county", county, "--out", str(tmp_path))
    assert snapshot.population_by_county(tmp_path) == _register_count()
    assert (other.code, "2") in snapshot.population_by_county(tmp_path)
    names = list(Person.objects.values_list("name", flat=True))
    for path in tmp_path.rglob("*.parquet"):
        with duckdb.connect() as con:
            rows = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            columns = [d[0] for d in con.description]
        text = repr(rows)
        assert not any(name in text for name in names), path
        assert not {"name", "id_number", "birth_date", "address", "phone"} & set(columns)
    person = Person.objects.filter(responsible_code__startswith="210124").first()
    assert person is not None and str(person.uuid) not in repr(list(tmp_path.rglob("*")))
