"""Corrections of identity fields and family links, and reversals (撤销)."""

import datetime as dt
import json

import pytest

from pims.audit.models import AuditEntry
from pims.events import selectors, services
from pims.events.errors import EventRefused
from pims.events.models import Event, Spell
from pims.lib import clock, crypto
from pims.lib.citizen_id import make_citizen_id
from pims.registry.models import Birth, Household, Marriage, Person
from pims.registry.personal import citizen_id_index
from pims.registry.tests.factories import make_person

from .conftest import approved_household, members, this_month, village_report

DAY = clock.today()


def file(personas, report, event_type, **data):
    data.setdefault("effective_date", DAY.isoformat())
    return services.event_file(actor=personas["clerk"], report=report, event_type=event_type, data=data)


def approve(personas, report):
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)


def refused(personas, report, event_type, **data) -> str:
    with pytest.raises(EventRefused) as exc:
        file(personas, report, event_type, **data)
    return str(exc.value)


# --- citizen ID -----------------------------------------------------------------


def test_citizen_id_correction_revalidates_reencrypts_and_audits(personas, regions, family):
    hh, m = family
    head = m["张三"]
    other = approved_household(personas, regions["village_a1"], number="0002", seq=1)
    taken = make_citizen_id("210124", dt.date(1985, 6, 15), 13, "1")  # the other family's head
    assert members(other)["张三"].id_index == citizen_id_index(taken)
    good = make_citizen_id("210124", dt.date(1985, 6, 15), 51, "1")
    report = village_report(personas, regions)
    correct = {"person": head.pk, "field": "citizen_id", "before": head.id_masked}

    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "[E148]" in refused(personas, report, "correction", **correct, after=bad_check)
    woman = make_citizen_id("210124", dt.date(1985, 6, 15), 52, "2")
    assert "[R28]" in refused(personas, report, "correction", **correct, after=woman)
    other_day = make_citizen_id("210124", dt.date(1985, 6, 16), 51, "1")
    assert "[R29]" in refused(personas, report, "correction", **correct, after=other_day)
    assert "[R27]" in refused(personas, report, "correction", **correct, after=taken)
    wrong_before = {**correct, "before": make_citizen_id("210124", dt.date(1985, 6, 15), 71, "1")}
    assert "[E150]" in refused(personas, report, "correction", **wrong_before, after=good)
    assert not report.events.exists()

    event = file(personas, report, "correction", **correct, after=good)
    assert good not in json.dumps(event.payload)  # only cipher, keyed hash and masked form are kept
    approve(personas, report)
    head.refresh_from_db()
    assert head.id_index == citizen_id_index(good)
    assert crypto.decrypt(head.id_cipher, aad=b"citizen_id") == good
    assert head.id_masked == event.payload["after"] and head.id_masked != correct["before"]
    entry = AuditEntry.objects.get(object_type="registry.person", detail__field="citizen_id")
    assert entry.detail["before"] == correct["before"] and entry.detail["after"] == head.id_masked
    assert good not in json.dumps(entry.detail)


# --- regions ------------------------------------------------------------------------


def test_region_correction_corrects_the_spell_from_its_start_and_keeps_the_balance(personas, regions, family):
    hh, m = family
    son = m["张小明"]
    a1, a2 = regions["village_a1"].code, regions["village_a2"].code
    report = village_report(personas, regions)
    fix = {"person": son.pk, "field": "residence_code", "before": a1}
    assert "本县区划中不存在" in refused(personas, report, "correction", **fix, after=a1[:9] + "999")
    assert "不是现行的村级区划" in refused(personas, report, "correction", **fix, after=regions["township_a"].code)
    assert "与登记值相同" in refused(personas, report, "correction", **fix, after=a1)
    assert "[E150]" in refused(personas, report, "correction", **{**fix, "before": a2}, after=a2)
    baseline = Spell.objects.get(person=son, kind="resident", end__isnull=True)

    file(personas, report, "correction", **fix, after=a2)
    approve(personas, report)
    son.refresh_from_db()
    assert son.residence_code == a2 and son.registered_code == a1 and son.residence_status != "1"
    now = Spell.objects.get(person=son, kind="resident", end__isnull=True)
    assert now.region_code == a2 and now.start == baseline.start and now.open_reason == "correction"
    baseline.refresh_from_db()
    assert baseline.end == baseline.start and baseline.close_reason == "correction"
    # Nothing happened on the correction's date: at any past date he lived in A2.
    assert selectors.population_at(a2, baseline.start, "resident") == 1
    for prefix, flows in ((a1, (0, 1)), (a2, (1, 0)), (regions["township_a"].prefix, (0, 0))):
        b = selectors.population_balance(prefix, this_month(), kind="resident")
        assert (b.flows.corrected_in, b.flows.corrected_out) == flows and b.holds, (prefix, b)
        assert b.flows.moved_in == b.flows.moved_out == 0
    assert selectors.spell_violations() == []


# --- family links ----------------------------------------------------------------------


def test_mother_correction_keeps_both_mothers_birth_orders(personas, regions, family):
    hh, m = family
    other = members(approved_household(personas, regions["village_a1"], number="0002", seq=1))
    son = m["张小明"]
    report = village_report(personas, regions)
    fix = {"person": son.pk, "field": "birth_mother", "before": "李四"}
    assert "性别不符" in refused(personas, report, "correction", **fix, after_person=other["张三"].pk)
    assert "[R07]" in refused(personas, report, "correction", **fix, after_person=other["张小红"].pk)
    assert "必须选择更正后的关系人" in refused(personas, report, "correction", **fix)

    file(personas, report, "correction", **fix, after_person=other["李四"].pk)
    file(
        personas,
        report,
        "correction",
        person=son.pk,
        field="birth_father",
        before="张三",
        after_person=other["张三"].pk,
    )
    approve(personas, report)
    orders = {(b.mother_id, b.child.name, b.child.household_id): b.birth_order for b in Birth.objects.all()}
    assert orders[(m["李四"].pk, "张小红", hh.pk)] == 1  # her later child moved up
    new_mother = other["李四"]
    assert orders[(new_mother.pk, "张小明", hh.pk)] == 1
    assert orders[(new_mother.pk, "张小明", other["张小明"].household_id)] == 2
    assert orders[(new_mother.pk, "张小红", other["张小红"].household_id)] == 3
    assert Birth.objects.get(child=son).father == other["张三"]


def test_spouse_and_relationship_corrections_keep_the_family_consistent(personas, regions, family):
    hh, m = family
    bride = make_person(hh, 9, "2", dt.date(1987, 1, 1), "99", "10", name="王五")
    other = members(approved_household(personas, regions["village_a1"], number="0002", seq=1))
    report = village_report(personas, regions)
    fix = {"person": m["张三"].pk, "field": "spouse", "before": "李四"}
    assert "已有婚姻记录" in refused(personas, report, "correction", **fix, after_person=other["李四"].pk)
    assert "性别相同" in refused(personas, report, "correction", **fix, after_person=other["张三"].pk)
    assert "户主只能通过" in refused(
        personas, report, "correction", person=m["张小明"].pk, field="relationship", before="20", after="02"
    )
    assert "户主只能通过" in refused(
        personas, report, "correction", person=m["张三"].pk, field="relationship", before="02", after="20"
    )

    file(personas, report, "correction", **fix, after_person=bride.pk)
    approve(personas, report)
    marriage = Marriage.objects.get(husband=m["张三"], end_date__isnull=True)
    assert marriage.wife_id == bride.pk
    assert Person.objects.get(pk=bride.pk).marital_status == "21"
    assert Person.objects.get(pk=m["李四"].pk).marital_status == "10"


# --- reversal -------------------------------------------------------------------------


def test_reversal_of_a_wrong_death_restores_person_and_marriage_and_keeps_the_balance(personas, regions, family):
    hh, m = family
    wife = m["李四"]
    report = village_report(personas, regions)
    death = file(personas, report, "death", person=wife.pk)
    approve(personas, report)
    assert Person.objects.get(pk=m["张三"].pk).marital_status == "30"

    fix = village_report(personas, regions)
    file(personas, fix, "reversal", supersedes=death.pk, reason="误报死亡")
    approve(personas, fix)
    wife.refresh_from_db()
    assert wife.status == "1" and wife.death_date is None and wife.household == hh
    spells = Spell.objects.filter(person=wife, end__isnull=True)
    assert {s.kind for s in spells} == {"registered", "resident"}
    assert all(s.open_reason == "reversal" and s.start == DAY for s in spells)
    assert Marriage.objects.get(wife=wife).end_date is None
    assert Person.objects.get(pk=m["张三"].pk).marital_status == "21"
    b = selectors.population_balance(regions["village_a1"].code, this_month(), kind="registered")
    assert b.flows.deaths == 1 and b.flows.corrected_in == 1 and b.holds
    assert selectors.spell_violations() == []
    assert AuditEntry.objects.filter(detail__transition="reverse", detail__reversed=death.pk).exists()
    again = village_report(personas, regions)
    assert f"已由事件 {fix.events.get().pk} 撤销" in refused(
        personas, again, "reversal", supersedes=death.pk, reason="重复"
    )


def test_reversal_is_refused_when_later_events_depend_on_it(personas, regions, family):
    hh, m = family
    son = m["张小明"]
    report = village_report(personas, regions)
    pregnancy = file(personas, report, "pregnancy", person=m["李四"].pk)
    flow_out = file(personas, report, "flow_out", person=son.pk, destination_code="110101000000", reason="1")
    approve(personas, report)
    later = village_report(personas, regions)
    back = file(personas, later, "flow_in", person=son.pk, household=hh.pk, reason="2")
    assert "尚未审核通过" in refused(personas, later, "reversal", supersedes=back.pk, reason="误报")
    approve(personas, later)

    fix = village_report(personas, regions)
    message = refused(personas, fix, "reversal", supersedes=flow_out.pk, reason="误报")
    assert f"事件 {back.pk}（流入" in message and "之后已有依赖它的事件" in message
    assert "不能撤销" in refused(personas, fix, "reversal", supersedes=pregnancy.pk, reason="误报")
    assert "为必填项" in refused(personas, fix, "reversal", reason="误报")
    assert not fix.events.exists()


def test_reversal_of_a_heads_death_keeps_the_new_head(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    death = file(personas, report, "death", person=m["张三"].pk, new_head_id=m["李四"].pk)
    approve(personas, report)
    fix = village_report(personas, regions)
    assert "必须填写“恢复后与户主关系”" in refused(personas, fix, "reversal", supersedes=death.pk, reason="误报")
    file(personas, fix, "reversal", supersedes=death.pk, reason="误报", relationship="10")
    approve(personas, fix)
    head = Person.objects.get(pk=m["张三"].pk)
    assert head.status == "1" and head.relationship == "10"
    assert Household.objects.get(pk=hh.pk).head_id == m["李四"].pk
    assert Event.objects.filter(event_type="reversal", review_status="approved").count() == 1
    assert selectors.spell_violations() == []


def test_birth_date_correction_keeps_the_shared_family_limits(personas, regions, family):
    """A corrected birth date is judged by the same rules as the register:
    the mother's age at her children's births (R08), parents older than
    children (R07) and the legal age at the current marriage (R02)."""
    hh, m = family
    report = village_report(personas, regions)
    wife = {"person": m["李四"].pk, "field": "birth_date", "before": m["李四"].birth_date.isoformat()}
    assert "[R08]" in refused(personas, report, "correction", **wife, after="1999-01-01")  # 13 at 张小明's birth
    assert "[R02]" in refused(personas, report, "correction", **wife, after="1992-06-01")  # 17 at the 2010 wedding
    son = {"person": m["张小明"].pk, "field": "birth_date", "before": m["张小明"].birth_date.isoformat()}
    assert "[R07]" in refused(personas, report, "correction", **son, after="1987-01-01")  # born before his mother
