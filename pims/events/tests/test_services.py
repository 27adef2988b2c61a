import datetime as dt

import pytest

from pims.audit.models import AuditEntry
from pims.events import errors, selectors, services
from pims.events.errors import EventRefused
from pims.events.models import Event, ReportState, Spell
from pims.lib import clock
from pims.lib.errors import Conflict, NotPermitted
from pims.registry.models import Birth, Household, Marriage, Person
from pims.registry.personal import pregnancy_outcome_open
from pims.registry.tests.conftest import COLLECTED_ON
from pims.testing.errors import refused

from .conftest import members, this_month, village_report

DAY = clock.today()


def file(personas, report, event_type, **data):
    data.setdefault("effective_date", DAY.isoformat())
    return services.event_file(actor=personas["clerk"], report=report, event_type=event_type, data=data)


def submit_and_approve(personas, report):
    services.change_report_submit(actor=personas["clerk"], report=report)
    return services.change_report_approve(actor=personas["reviewer"], report=report)


def test_birth_creates_child_spells_birth_order_and_closes_pregnancy(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    file(personas, report, "pregnancy", person=m["李四"].pk, effective_date=(DAY - dt.timedelta(days=20)).isoformat())
    file(personas, report, "birth", related_person=m["李四"].pk, name="张小刚", sex="1", relationship="20")
    submit_and_approve(personas, report)

    child = Person.objects.get(name="张小刚")
    assert child.household == hh and child.marital_status == "10" and child.birth_date == DAY
    birth = Birth.objects.get(child=child)
    assert birth.birth_order == 3 and birth.mother == m["李四"] and birth.father == m["张三"]
    spells = Spell.objects.filter(person=child, end__isnull=True)
    assert {s.kind for s in spells} == {"registered", "resident"}
    assert all(s.open_reason == "birth" and s.open_period == this_month() for s in spells)
    pregnancy = m["李四"].pregnancies.get()
    assert pregnancy.ended
    assert pregnancy_outcome_open(pregnancy.outcome_cipher, pregnancy.outcome_date_cipher) == ("1", DAY)
    event = Event.objects.get(event_type="birth")
    assert event.person == child and event.review_status == "approved" and event.approved_period == this_month()
    assert report.__class__.objects.get(pk=report.pk).state == ReportState.APPROVED
    assert AuditEntry.objects.filter(object_type="events.changereport", detail__transition="approve").exists()


def test_death_of_head_requires_new_head_and_widows_spouse(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    with pytest.raises(EventRefused) as exc:
        file(personas, report, "death", person=m["张三"].pk)
    assert "必须在“新户主”中指定" in str(exc.value)
    assert not report.events.exists()

    file(personas, report, "death", person=m["张三"].pk, new_head_id=m["李四"].pk)
    submit_and_approve(personas, report)

    dead, wife = Person.objects.get(pk=m["张三"].pk), Person.objects.get(pk=m["李四"].pk)
    assert dead.status == "2" and dead.death_date == DAY
    assert not Spell.objects.filter(person=dead, end__isnull=True).exists()
    assert Spell.objects.filter(person=dead, close_reason="death").count() == 2
    assert wife.marital_status == "30" and wife.relationship == "02"
    assert Household.objects.get(pk=hh.pk).head == wife
    marriage = Marriage.objects.get(husband=dead)
    assert marriage.end_date == DAY and marriage.end_reason == "death"


def test_invalid_events_are_refused_with_named_messages(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    cases = [
        ("death", {"person": m["张小明"].pk, "effective_date": "2010-01-01"}, "早于“张小明”的出生日期"),
        ("birth", {"related_person": m["张三"].pk, "name": "某", "sex": "1", "relationship": "20"}, "性别为男"),
        ("marriage", {"person": m["张三"].pk, "related_person": m["张小红"].pk}, "已婚"),
        (
            "flow_out",
            {"person": m["张小明"].pk, "destination_code": regions["village_a1"].code, "reason": "1"},
            "流入地与“张小明”现居住地相同",
        ),
        ("divorce", {"person": m["张小明"].pk, "related_person": m["张小红"].pk}, "没有有效的婚姻记录"),
        ("contra_start", {"person": m["李四"].pk, "method": "05"}, "已有"),
        ("preg_outcome", {"person": m["李四"].pk, "outcome": "3"}, "没有尚未结束的怀孕记录"),
    ]
    for event_type, data, expected in cases:
        with pytest.raises(EventRefused) as exc:
            file(personas, report, event_type, **data)
        assert expected in str(exc.value), (event_type, str(exc.value))
    assert not report.events.exists()


def test_move_out_of_someone_not_present_is_refused(personas, regions, family):
    hh, m = family
    police = services.change_report_create(
        actor=personas["operator"], region_code=regions["township_a"].code, period=this_month(), source="police"
    )
    services.event_file(
        actor=personas["operator"],
        report=police,
        event_type="move_out",
        data={"person": m["张小明"].pk, "effective_date": DAY.isoformat()},
    )
    with pytest.raises(EventRefused) as exc:
        services.event_file(
            actor=personas["operator"],
            report=police,
            event_type="move_out",
            data={"person": m["张小明"].pk, "effective_date": DAY.isoformat()},
        )
    assert "不能登记此变动" in str(exc.value) or "户籍不在本地" in str(exc.value)


def test_one_bad_event_applies_nothing_and_names_the_event(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    file(personas, report, "pregnancy", person=m["李四"].pk)
    file(personas, report, "contra_stop", person=m["李四"].pk)
    services.change_report_submit(actor=personas["clerk"], report=report)
    # Meanwhile the register changed: she is already pregnant, so the first event is now invalid.
    from pims.registry.models import Pregnancy

    Pregnancy.objects.create(woman=m["李四"], start_date=DAY - dt.timedelta(days=3))
    with pytest.raises(EventRefused) as exc:
        services.change_report_approve(actor=personas["reviewer"], report=report)
    message = str(exc.value)
    assert "怀孕" in message and "李四" in message and "事件" in message
    assert m["李四"].contraceptions.get().end_date is None  # the good event was not applied either
    assert report.events.filter(review_status="pending").count() == 2


def test_marriage_moves_wife_and_recomputes_responsible_region(personas, regions, codes):
    from pims.lib.citizen_id import make_citizen_id
    from pims.registry.personal import citizen_id_index

    from .conftest import approved_household

    husband_hh = approved_household(personas, regions["village_a1"], number="0001")
    wife_hh = approved_household(personas, regions["village_a2"], number="0002", seq=1)
    son = members(husband_hh)["张小明"]
    daughter = Person.objects.get(household=wife_hh, name="张小红")
    for p, year in ((son, 1998), (daughter, 2000)):
        Person.objects.filter(pk=p.pk).update(birth_date=dt.date(year, 3, 8), no_id_reason="1")
    # The bride lives in another village, outside the clerk's jurisdiction: she is named by ID number.
    number = make_citizen_id("210124", dt.date(2000, 3, 8), 40, "2")
    Person.objects.filter(pk=daughter.pk).update(id_index=citizen_id_index(number))
    report = village_report(personas, regions)
    with pytest.raises(EventRefused, match="配偶：不存在或不在您的辖区内"):
        file(personas, report, "marriage", person=son.pk, related_person=daughter.pk)
    file(personas, report, "marriage", person=son.pk, related_citizen_id=number, move_wife="1", relationship="38")
    submit_and_approve(personas, report)
    son.refresh_from_db()
    daughter.refresh_from_db()
    assert son.marital_status == "21" and daughter.marital_status == "21"
    assert daughter.household == husband_hh and daughter.relationship == "38"
    assert daughter.registered_code == regions["village_a1"].code
    assert son.responsible_code == daughter.responsible_code == regions["village_a1"].code
    moved = Spell.objects.get(person=daughter, kind="registered", end__isnull=True)
    assert moved.origin_code == regions["village_a2"].code and moved.open_reason == "move"
    flows = selectors.period_flows(regions["village_a1"].code, this_month(), kind="registered")
    assert flows.moved_in == 1
    township = selectors.period_flows(regions["township_a"].prefix, this_month(), kind="registered")
    assert township.moved_in == 0 and township.moved_out == 0


def test_late_event_keeps_occurrence_month_and_counts_when_approved(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    died = COLLECTED_ON + dt.timedelta(days=1)  # an earlier month than today's
    event = file(personas, report, "death", person=m["张小明"].pk, effective_date=died.isoformat())
    submit_and_approve(personas, report)
    event.refresh_from_db()
    assert event.effective_date == died
    assert event.approved_period == this_month()
    assert selectors.period_flows(regions["village_a1"].code, this_month()).deaths == 1


def test_state_machine_checks_state_role_and_region(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    with refused(NotPermitted, errors.REPORT_NOT_FILEABLE_HERE):
        services.change_report_create(
            actor=personas["outsider"], region_code=regions["village_a1"].code, period=this_month()
        )
    with refused(Conflict, errors.REPORT_PERIOD_TAKEN):
        village_report(personas, regions)  # one open report per village and month
    with refused(Conflict, errors.REPORT_NOT_SUBMITTED):
        services.change_report_approve(actor=personas["reviewer"], report=report)  # still a draft
    file(personas, report, "pregnancy", person=m["李四"].pk)
    services.change_report_submit(actor=personas["clerk"], report=report)
    with refused(Conflict, errors.REPORT_NOT_EDITABLE):
        file(personas, report, "contra_stop", person=m["李四"].pk)
    with refused(NotPermitted, errors.REPORT_NOT_YOURS_TO_REVIEW):
        services.change_report_approve(actor=personas["outsider"], report=report)
    with refused(NotPermitted, errors.REPORT_NOT_YOURS_TO_REVIEW):
        services.change_report_approve(actor=personas["clerk"], report=report)
    with refused(Conflict, errors.RETURN_NEEDS_COMMENT):
        services.change_report_return(actor=personas["reviewer"], report=report, comments=[])
    services.change_report_return(actor=personas["reviewer"], report=report, comments=[{"message": "请核实怀孕日期"}])
    report.refresh_from_db()
    assert report.state == ReportState.RETURNED and report.comments.get().message == "请核实怀孕日期"
    event = report.events.get()
    services.event_withdraw(actor=personas["clerk"], event=event)
    file(personas, report, "pregnancy", person=m["李四"].pk)
    submit_and_approve(personas, report)
    assert m["李四"].pregnancies.count() == 1
    assert Event.objects.get(pk=event.pk).review_status == "withdrawn"


def test_police_and_civil_events_are_filed_by_township_and_county(personas, regions, family):
    hh, m = family
    with refused(NotPermitted, errors.REPORT_NOT_FILEABLE_HERE):
        services.change_report_create(
            actor=personas["clerk"], region_code=regions["township_a"].code, period=this_month(), source="police"
        )
    civil = services.change_report_create(
        actor=personas["county"], region_code=regions["township_a"].code, period=this_month(), source="civil"
    )
    with refused(Conflict, errors.REPORT_TYPE_NOT_FOR_SOURCE):
        services.event_file(
            actor=personas["county"],
            report=civil,
            event_type="death",
            data={"person": m["张三"].pk, "effective_date": DAY.isoformat()},
        )
    services.event_file(
        actor=personas["county"],
        report=civil,
        event_type="divorce",
        data={"person": m["张三"].pk, "related_person": m["李四"].pk, "effective_date": DAY.isoformat()},
    )
    services.change_report_submit(actor=personas["county"], report=civil)
    with refused(Conflict, errors.REVIEW_OWN_REPORT):
        services.change_report_approve(actor=personas["county"], report=civil)  # filer cannot approve
    services.change_report_approve(actor=personas["reviewer"], report=civil)
    assert Person.objects.get(pk=m["张三"].pk).marital_status == "40"


def test_household_split_and_merge_keep_spells_in_one_household(personas, regions, family):
    hh, m = family
    police = services.change_report_create(
        actor=personas["operator"], region_code=regions["township_a"].code, period=this_month(), source="police"
    )
    op = personas["operator"]
    services.event_file(
        actor=op,
        report=police,
        event_type="hh_split",
        data={
            "household": hh.pk,
            "effective_date": DAY.isoformat(),
            "head_id": m["张小明"].pk,
            "members": [{"person_id": m["张小明"].pk, "relationship": "02"}],
            "new_household_number": "0099",
            "new_household_address": "大孤家子村二组 1 号",
        },
    )
    services.change_report_submit(actor=op, report=police)
    services.change_report_approve(actor=personas["reviewer"], report=police)
    new = Household.objects.get(number="0099")
    son = Person.objects.get(pk=m["张小明"].pk)
    assert son.household == new and new.head == son and son.relationship == "02"
    assert set(Spell.objects.filter(person=son, end__isnull=True).values_list("household", flat=True)) == {new.pk}
    flows = selectors.period_flows(regions["village_a1"].code, this_month(), kind="registered")
    assert flows.moved_in == flows.moved_out == 0
    assert selectors.spell_violations() == []

    merge = services.change_report_create(
        actor=op, region_code=regions["township_a"].code, period=this_month(), source="police"
    )
    services.event_file(
        actor=op,
        report=merge,
        event_type="hh_merge",
        data={
            "household": new.pk,
            "target_household_id": hh.pk,
            "effective_date": DAY.isoformat(),
            "members": [{"person_id": son.pk, "relationship": "20"}],
        },
    )
    services.change_report_submit(actor=op, report=merge)
    services.change_report_approve(actor=personas["reviewer"], report=merge)
    assert Person.objects.get(pk=son.pk).household == hh
    assert Household.objects.get(pk=new.pk).status == "dissolved"
    assert selectors.spell_violations() == []


def test_correction_checks_before_value(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    with pytest.raises(EventRefused) as exc:
        file(personas, report, "correction", person=m["张小明"].pk, field="name", before="张晓明", after="张小鸣")
    assert "与填写的更正前“张晓明”不符" in str(exc.value)
    with pytest.raises(EventRefused) as exc:
        file(personas, report, "correction", person=m["张小明"].pk, field="status", before="1", after="2")
    assert "不能通过更正事件修改" in str(exc.value)
    file(personas, report, "correction", person=m["张小明"].pk, field="name", before="张小明", after="张小鸣")
    submit_and_approve(personas, report)
    person = Person.objects.get(pk=m["张小明"].pk)
    assert person.name == "张小鸣" and person.name_pinyin == "zhangxiaoming"


def test_late_event_before_the_persons_last_change_is_refused(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    file(personas, report, "flow_out", person=m["张小明"].pk, destination_code="110101000000", reason="1")
    submit_and_approve(personas, report)
    late = village_report(personas, regions)
    with pytest.raises(EventRefused) as exc:
        file(personas, late, "death", person=m["张小明"].pk, effective_date=(DAY - dt.timedelta(days=1)).isoformat())
    assert "早于“张小明”上一次变动的日期" in str(exc.value)


def test_fill_migration_and_corrections_keep_the_spells_copies_of_person_attributes(personas, regions, family):
    """Spells written before the copies existed get them from the data
    migration; a correction approved later moves them along."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    Spell.objects.update(sex="", birth_date=None, ethnicity="", hukou_type="", residence_status="")
    assert selectors.spell_violations() != []
    fill = importlib.import_module("pims.events.migrations.0008_fill_spell_person_attrs").fill
    fill(apps, SimpleNamespace(connection=connection))
    assert selectors.spell_violations() == []

    _hh, m = family
    report = village_report(personas, regions)
    services.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="correction",
        data={
            "person": m["张小明"].pk,
            "field": "birth_date",
            "before": m["张小明"].birth_date.isoformat(),
            "after": "2011-01-01",
            "effective_date": DAY.isoformat(),
        },
    )
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)
    assert set(Spell.objects.filter(person=m["张小明"]).values_list("birth_date", flat=True)) == {dt.date(2011, 1, 1)}
    assert selectors.spell_violations() == []
