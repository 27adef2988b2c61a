"""Police change files: 迁出, 死亡注销 and 其他注销 of a person matched by
citizen ID become police events of the person's township; 迁入, 出生登记 and
信息变更 and every record not matched exactly wait for a reviewer; bad rows
are rejected with their rule; the same change twice changes nothing."""

import datetime as dt

import pytest

from pims.events.models import Event, EventType
from pims.events.tests.conftest import approved_household, members
from pims.integration.models import IntakeRecord
from pims.integration.services import ImportRefused, intake_record_accept, police_changes_import
from pims.integration.sources.police_changes.columns import COLUMNS
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id

from . import civil
from .civil import days_ago, legacy

S = IntakeRecord.State


def tomorrow() -> str:
    return (clock.today() + dt.timedelta(days=1)).isoformat()


HEADERS = [c.header for c in COLUMNS]
HEAD_ID = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
WIFE_ID = make_citizen_id("210124", dt.date(1988, 4, 2), 22, "2")


@pytest.fixture
def family(codes, personas, regions):
    return members(approved_household(personas, regions["village_a1"]))


def change(kind="死亡注销", date=None, number=WIFE_ID, name="李四", **extra) -> dict:
    return {
        "变动类型": kind,
        "变动日期": date or days_ago(20),
        "公民身份号码": number,
        "姓名": name,
        "性别": "",
        "出生日期": "",
        "户号": "0001",
        "迁自/迁往地址": "",
        "迁自/迁往区划代码": "",
        "原因": "",
    } | extra


def write(path, rows):
    return civil.write(path, rows, HEADERS)


def test_a_death_of_a_matched_person_becomes_a_police_event(family, personas, tmp_path):
    job = police_changes_import(actor=personas["operator"], path=write(tmp_path / "bd.csv", [change()]))
    record = IntakeRecord.objects.get()
    assert (job.rows_loaded, record.state, record.person) == (1, S.FILED, family["李四"])
    event = record.event
    assert (event.event_type, event.source, event.report.region_code) == (EventType.DEATH, "police", "210124101000")
    # The same change again, in another file: recognised, nothing filed twice.
    police_changes_import(actor=personas["operator"], path=write(tmp_path / "b2.csv", [change(原因="病故")]))
    assert IntakeRecord.objects.filter(state=S.PRESENT).count() == 1
    assert Event.objects.filter(source="police", event_type=EventType.DEATH).count() == 1


def test_a_move_out_by_a_legacy_id_and_a_cancellation(family, personas, tmp_path):
    rows = [
        change("迁出", number=legacy(WIFE_ID), **{"迁自/迁往地址": "沈阳市和平区"}),
        change("其他注销", number=HEAD_ID, name="张三", 原因="出国定居"),
    ]
    job = police_changes_import(actor=personas["county"], path=write(tmp_path / "bd.csv", rows))
    records = {r.line: r for r in IntakeRecord.objects.filter(job=job)}
    assert records[2].state == S.FILED and records[2].event.event_type == EventType.MOVE_OUT
    assert records[2].event.payload.get("destination") == "沈阳市和平区"
    # The head leaving a household that keeps members needs a new head: the engine refuses it.
    assert records[3].state == S.REJECTED and records[3].rule_ids


def test_moves_in_and_unmatched_people_wait_for_a_reviewer(family, personas, tmp_path):
    rows = [change("迁入"), change(name="李丝")]
    job = police_changes_import(actor=personas["operator"], path=write(tmp_path / "bd.csv", rows))
    records = {r.line: r for r in IntakeRecord.objects.filter(job=job)}
    assert (records[2].state, records[3].state) == (S.REVIEW, S.REVIEW)
    assert "变更单登记" in records[2].reasons and records[3].matches["person"]["diffs"] == ["name"]
    handled = intake_record_accept(actor=personas["reviewer"], record=records[2], choices={})
    assert handled.state == S.NO_CHANGE and handled.event is None
    accepted = intake_record_accept(
        actor=personas["reviewer"], record=records[3], choices={"person": family["李四"].pk}
    )
    assert accepted.state == S.FILED and accepted.event.event_type == EventType.DEATH


def test_bad_change_rows_are_rejected_with_their_rule(family, personas, tmp_path):
    rows = [
        change("户口冻结"),  # 2 G01
        change(date="2027-13-01"),  # 3 G02
        change(date=tomorrow()),  # 4 G03
        change(date=days_ago(30), name=""),  # 5 G04
        change(number="210124198804020000"),  # 6 G05
        change(date=days_ago(31), 性别="男"),  # 7 G06
        change(date=days_ago(32), 出生日期="1988-04-03"),  # 8 G07
        change("迁出", number=HEAD_ID, name="张三"),  # 9 G08
        change("迁出", number=HEAD_ID, name="张三"),  # 10 G08
        change("其他注销"),  # 11 G09
        change(),  # 12 good
    ]
    job = police_changes_import(actor=personas["operator"], path=write(tmp_path / "bad.csv", rows))
    got = {r.line: r.rule_ids for r in IntakeRecord.objects.filter(job=job, state=S.REJECTED)}
    assert got == {2: "G01", 3: "G02", 4: "G03", 5: "G04", 6: "G05", 7: "G06", 8: "G07", 9: "G08", 10: "G08", 11: "G09"}
    assert IntakeRecord.objects.get(job=job, line=12).state == S.FILED


def test_a_village_clerk_may_not_import_police_changes(family, personas, tmp_path):
    with pytest.raises(ImportRefused):
        police_changes_import(actor=personas["clerk"], path=write(tmp_path / "bd.csv", [change()]))


def test_the_police_changes_page_is_the_police_filers(family, personas, client_for):
    from django.urls import reverse

    url = reverse("integration:police_changes_import")
    assert "公安户口变动导入" in client_for("operator").get(url).content.decode()
    for name in ("clerk", "reviewer"):
        assert client_for(name).get(url).status_code == 404
