"""Stable identity through events (DESIGN.md §6): a record keeps its UUID for
life, whatever is corrected; everything an event creates — the event itself,
a corrected spell's replacement, a reversal, a newborn — gets a new one,
never one seen before."""

from pims.events.models import Event, Spell
from pims.registry.models import Birth, Person
from pims.testing.identity import assert_uuids_whole, uuids_by_model

from .conftest import this_month, village_report
from .test_corrections import DAY, approve, file


def all_uuids() -> set:
    return {u for values in uuids_by_model().values() for u in values}


def test_a_birth_gives_the_child_its_event_birth_and_spells_new_uuids(personas, regions, family):
    hh, m = family
    before = uuids_by_model()
    report = village_report(personas, regions)
    file(personas, report, "birth", related_person=m["李四"].pk, name="张小刚", sex="1", relationship="20")
    approve(personas, report)

    child = Person.objects.get(name="张小刚")
    made = [child.uuid, Birth.objects.get(child=child).uuid, Event.objects.get(event_type="birth").uuid]
    made += [s.uuid for s in Spell.objects.filter(person=child)]
    assert len(made) == 5 and not set(made) & {u for values in before.values() for u in values}
    # Nothing that existed changed its UUID.
    after = uuids_by_model()
    assert all(set(values) <= set(after[label]) for label, values in before.items())
    assert_uuids_whole()


def test_a_correction_keeps_the_persons_uuid_and_its_replacement_spell_gets_a_new_one(personas, regions, family):
    hh, m = family
    son = m["张小明"]
    wrong = Spell.objects.get(person=son, kind="resident", end__isnull=True)
    seen = all_uuids()
    report = village_report(personas, regions)
    a1, a2 = regions["village_a1"].code, regions["village_a2"].code
    file(personas, report, "correction", person=son.pk, field="residence_code", before=a1, after=a2)
    file(personas, report, "correction", person=son.pk, field="name", before="张小明", after="张小鸣")
    approve(personas, report)

    son.refresh_from_db()
    assert son.name == "张小鸣" and son.residence_code == a2
    assert Person.objects.get(uuid=son.uuid) == son  # the same record, found by the same UUID
    wrong.refresh_from_db()
    assert wrong.close_reason == "correction" and wrong.uuid in seen
    replacement = Spell.objects.get(person=son, kind="resident", end__isnull=True)
    corrections = Event.objects.filter(event_type="correction")
    new = {replacement.uuid, *corrections.values_list("uuid", flat=True)}
    assert len(new) == 3 and not new & seen
    assert_uuids_whole()


def test_a_reversal_is_a_new_event_and_reopens_new_spells(personas, regions, family):
    hh, m = family
    wife = m["李四"]
    report = village_report(personas, regions)
    death = file(personas, report, "death", person=wife.pk)
    approve(personas, report)
    seen = all_uuids()

    fix = village_report(personas, regions)
    reversal = file(personas, fix, "reversal", supersedes=death.pk, reason="误报死亡")
    approve(personas, fix)

    reopened = Spell.objects.filter(person=wife, end__isnull=True, open_period=this_month(), start=DAY)
    assert reopened.count() == 2
    new = {reversal.uuid, fix.uuid, *reopened.values_list("uuid", flat=True)}
    assert len(new) == 4 and not new & seen
    assert Event.objects.get(uuid=death.uuid).superseded_by.get() == reversal
    assert_uuids_whole()
