"""A small county built through the real services: three families collected
and approved (the baseline is moved to last month, as if the forms had been
approved then), then this month's change reports — a birth, a death, moves
between villages, between townships, out of and into the county — filed,
submitted and approved by the people whose job it is."""

import datetime as dt

import pytest
from django.core.management import call_command

from pims.accounts.roles import Role
from pims.events import services as events
from pims.events.models import Event, Spell
from pims.events.periods import period_of, previous_period
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id
from pims.registry import services as registry
from pims.registry.tests.conftest import family_births, family_form
from pims.testing.fixtures import make_user

TODAY = clock.today()
THIS_MONTH = period_of(TODAY)
LAST_MONTH = previous_period(THIS_MONTH)
EXTERNAL = "110101000000"  # outside the register (Beijing)


@pytest.fixture
def codes(db):
    from pims.codes.models import CodeTable

    if not CodeTable.objects.exists():
        call_command("load_codes", verbosity=0)


def collect(personas, village, *, number: str, seq: int, collected_on: str):
    births = family_births(TODAY)  # the worked examples' ages, on any pinned day
    data, members = family_form(
        village.code,
        number=number,
        head_id=make_citizen_id("210124", dt.date.fromisoformat(births["head"]), 11 + 2 * seq, "1"),
        spouse_id=make_citizen_id("210124", dt.date.fromisoformat(births["wife"]), 22 + 2 * seq, "2"),
        births=births,
    )
    data["collected_on"] = collected_on
    in_a = village.code.startswith(personas["operator"].region.prefix)
    clerk = (
        (personas["clerk"] if village.code == personas["clerk"].region.code else personas["operator"])
        if in_a
        else personas["outsider"]
    )
    result = registry.household_save(
        actor=clerk, data=data, members=members, village_code=village.code, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert hh is not None
    assert registry.household_submit(actor=clerk, household=hh, confirm_warnings=True).saved
    registry.household_approve(actor=personas["reviewer"] if in_a else personas["county"], household=hh)
    hh.refresh_from_db()
    return hh


def members(hh):
    return {p.name: p for p in hh.members.all()}


def approve(personas, report, *, filer, reviewer):
    events.change_report_submit(actor=personas[filer], report=report)
    events.change_report_approve(actor=personas[reviewer], report=report)


@pytest.fixture
def baseline(codes, personas, regions):
    """Three families (A1, A2, B1) whose baseline counts in last month."""
    start = (dt.date.fromisoformat(LAST_MONTH + "-01") + dt.timedelta(days=9)).isoformat()
    hhs = {
        "a1": collect(personas, regions["village_a1"], number="0001", seq=0, collected_on=start),
        "a2": collect(personas, regions["village_a2"], number="0002", seq=1, collected_on=start),
        "b1": collect(personas, regions["village_b1"], number="0003", seq=2, collected_on=start),
    }
    # As if the forms had been approved last month (the services stamp the
    # month they run in): the baseline then is last month's.
    Spell.objects.update(open_period=LAST_MONTH)
    Event.objects.filter(event_type="baseline").update(approved_period=LAST_MONTH)
    return hhs


def file(personas, actor, report, event_type, **data):
    data.setdefault("effective_date", TODAY.isoformat())
    return events.event_file(actor=personas[actor], report=report, event_type=event_type, data=data)


@pytest.fixture
def world(baseline, personas, regions):
    """This month's events on top of the baseline."""
    a1, a2, b1 = (members(baseline[k]) for k in ("a1", "a2", "b1"))
    village = events.change_report_create(
        actor=personas["clerk"], region_code=regions["village_a1"].code, period=THIS_MONTH
    )
    file(personas, "clerk", village, "birth", related_person=a1["李四"].pk, name="张小刚", sex="1", relationship="20")
    file(personas, "clerk", village, "death", person=a1["张三"].pk, new_head_id=a1["李四"].pk)
    # 流动: the boy goes to work in Beijing; a woman from Beijing comes to live in A1.
    file(personas, "clerk", village, "flow_out", person=a1["张小明"].pk, destination_code=EXTERNAL, reason="1")
    file(
        personas,
        "clerk",
        village,
        "flow_in",
        household=baseline["a1"].pk,
        name="赵六",
        sex="2",
        birth_date="1995-05-05",
        ethnicity="01",
        marital_status="10",
        hukou_type="2",
        relationship="99",
        registered_code=EXTERNAL,
        reason="1",
    )
    approve(personas, village, filer="clerk", reviewer="reviewer")

    police_a = events.change_report_create(
        actor=personas["operator"], region_code=regions["township_a"].code, period=THIS_MONTH, source="police"
    )
    file(
        personas,
        "operator",
        police_a,
        "move_within",
        person=a2["张小明"].pk,
        household=baseline["a1"].pk,
        relationship="20",
    )
    file(personas, "operator", police_a, "move_out", person=a2["张小红"].pk, destination_code=EXTERNAL)
    file(
        personas,
        "operator",
        police_a,
        "move_in",
        household=baseline["a1"].pk,
        name="王五",
        sex="1",
        birth_date="1990-02-03",
        ethnicity="03",
        marital_status="10",
        hukou_type="1",
        relationship="99",
        origin_code=EXTERNAL,
    )
    approve(personas, police_a, filer="operator", reviewer="reviewer")

    # A move between townships is filed by the county (its jurisdiction
    # covers both ends) and reviewed by township B's reviewer.
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    police_b = events.change_report_create(
        actor=personas["county"], region_code=regions["township_b"].code, period=THIS_MONTH, source="police"
    )
    file(
        personas,
        "county",
        police_b,
        "move_within",
        person=b1["张小明"].pk,
        household=baseline["a2"].pk,
        relationship="20",
    )
    events.change_report_submit(actor=personas["county"], report=police_b)
    events.change_report_approve(actor=reviewer_b, report=police_b)
    return baseline
