"""Rule B01: a child born before the household's collection (baseline) date
should have been on the form — the birth is held with an explanation until the
filer either adds the child to the collection (counted with the baseline, not
as a birth) or confirms it as a birth."""

import datetime as dt

import pytest

from pims.events import selectors, services
from pims.events.errors import EventRefused
from pims.events.handlers import birth
from pims.events.models import Spell
from pims.registry.models import Birth, Person
from pims.registry.tests.conftest import COLLECTED_ON

from .conftest import this_month, village_report

BEFORE = COLLECTED_ON - dt.timedelta(days=10)
CHILD = {"name": "张小刚", "sex": "1", "relationship": "20"}


def file(personas, report, **data):
    return services.event_file(actor=personas["clerk"], report=report, event_type="birth", data=data)


def approve(personas, report):
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)


def test_birth_before_the_baseline_is_held_with_the_choice(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    with pytest.raises(EventRefused) as exc:
        file(personas, report, related_person=m["李四"].pk, effective_date=BEFORE.isoformat(), **CHILD)
    message = str(exc.value)
    assert "早于本户的采集基线日期" in message and COLLECTED_ON.isoformat() in message
    assert "补录到采集表" in message and "仍按出生登记" in message
    assert not report.events.exists()
    with pytest.raises(EventRefused, match="只能选择一项"):
        file(
            personas,
            report,
            related_person=m["李四"].pk,
            effective_date=BEFORE.isoformat(),
            add_to_collection="1",
            confirm_before_baseline="1",
            **CHILD,
        )


def test_added_to_the_collection_the_child_counts_with_the_baseline_not_as_a_birth(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    file(
        personas, report, related_person=m["李四"].pk, effective_date=BEFORE.isoformat(), add_to_collection="1", **CHILD
    )
    approve(personas, report)
    child = Person.objects.get(name="张小刚")
    assert child.birth_date == BEFORE and Birth.objects.get(child=child).mother == m["李四"]
    spells = Spell.objects.filter(person=child)
    assert {(s.open_reason, s.start) for s in spells} == {("baseline", COLLECTED_ON)}
    flows = selectors.period_flows(regions["village_a1"].prefix, this_month())
    assert flows.births == 0 and flows.baseline >= 1
    assert selectors.population_balance(regions["village_a1"].prefix, this_month()).holds


def test_confirmed_it_counts_as_a_birth(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    file(
        personas,
        report,
        related_person=m["李四"].pk,
        effective_date=BEFORE.isoformat(),
        confirm_before_baseline="1",
        **CHILD,
    )
    approve(personas, report)
    child = Person.objects.get(name="张小刚")
    assert {s.open_reason for s in Spell.objects.filter(person=child)} == {"birth"}


def test_a_birth_after_the_baseline_cannot_be_added_to_the_collection(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    with pytest.raises(EventRefused, match="不能补录到采集表"):
        file(
            personas,
            report,
            related_person=m["李四"].pk,
            effective_date=this_month() + "-01",
            add_to_collection="1",
            **CHILD,
        )
    assert birth.baseline_date(hh) == COLLECTED_ON
