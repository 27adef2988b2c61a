"""Health 出生医学证明 files: a birth whose mother (and named father) match
exactly becomes a 出生 event of the health report; the rest wait for a
reviewer; bad rows are rejected with their rule; the same certificate twice
changes nothing."""

import datetime as dt

import pytest

from pims.events import services as events
from pims.events.models import ChangeReport, Event, EventType
from pims.events.tests.conftest import approved_household, members
from pims.integration.models import IntakeRecord
from pims.integration.services import health_import, intake_record_accept
from pims.integration.sources.health.columns import COLUMNS
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id
from pims.registry.models import Birth

from . import civil
from .civil import days_ago, legacy

S = IntakeRecord.State


def tomorrow() -> str:
    return (clock.today() + dt.timedelta(days=1)).isoformat()


HEADERS = [c.header for c in COLUMNS]
MOTHER_ID = make_citizen_id("210124", dt.date(1988, 4, 2), 22, "2")
FATHER_ID = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")


@pytest.fixture
def family(codes, personas, regions):
    return members(approved_household(personas, regions["village_a1"]))


def cert(
    doc="N210124000001",
    name="张小宝",
    sex="男",
    born=None,
    mother=("李四", MOTHER_ID),
    father=("张三", FATHER_ID),
    **extra,
) -> dict:
    return {
        "出生医学证明编号": doc,
        "新生儿姓名": name,
        "性别": sex,
        "出生日期时间": born or f"{days_ago(17)} 08:30",
        "出生地点": "法库县医院",
        "出生体重": "3300",
        "孕周": "39",
        "母亲姓名": mother[0],
        "母亲公民身份号码": mother[1],
        "父亲姓名": father[0],
        "父亲公民身份号码": father[1],
        "签发日期": days_ago(11),
        "签发机构": "法库县妇幼保健院",
    } | extra


def write(path, rows):
    return civil.write(path, rows, HEADERS)


def test_an_exact_birth_becomes_a_health_event_with_the_mother_and_father(family, personas, tmp_path):
    # The father's legacy 15-digit ID is the same person as his 18-digit one.
    job = health_import(
        actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(father=("张三", legacy(FATHER_ID)))])
    )
    record = IntakeRecord.objects.get()
    assert (job.rows_loaded, record.state) == (1, S.FILED)
    event = record.event
    assert (event.event_type, event.source, event.related_person) == (EventType.BIRTH, "health", family["李四"])
    assert event.payload["certificate_no"] == "N210124000001" and event.payload["relationship"] == "20"
    events.change_report_submit(actor=personas["county"], report=event.report)
    events.change_report_approve(actor=personas["reviewer"], report=ChangeReport.objects.get(pk=event.report_id))
    birth = Birth.objects.get(child__name="张小宝")
    assert (birth.mother, birth.father, birth.birth_order, birth.child.birth_date) == (
        family["李四"],
        family["张三"],
        3,
        dt.date.fromisoformat(days_ago(17)),
    )
    # The same certificate again, in another file: nothing changes.
    health_import(actor=personas["county"], path=write(tmp_path / "again.csv", [cert(**{"出生地点": "家中"})]))
    assert IntakeRecord.objects.filter(state=S.PRESENT).count() == 1
    assert Event.objects.filter(event_type=EventType.BIRTH).count() == 1


def test_without_a_father_the_mothers_husband_is_taken(family, personas, tmp_path):
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(father=("", ""))]))
    record = IntakeRecord.objects.get()
    assert record.state == S.FILED and "father_id" not in record.event.payload


def test_a_birth_that_does_not_match_exactly_waits_and_is_accepted(family, personas, tmp_path):
    rows = [cert(mother=("李丝", MOTHER_ID)), cert(doc="N2", name="")]  # a homophone; no name yet
    job = health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", rows))
    records = {r.line: r for r in IntakeRecord.objects.filter(job=job)}
    assert (records[2].state, records[3].state) == (S.REVIEW, S.REVIEW)
    assert records[2].matches["mother"]["diffs"] == ["name"] and "尚未取名" in records[3].reasons
    accepted = intake_record_accept(
        actor=personas["reviewer"],
        record=records[2],
        choices={"mother": family["李四"].pk, "father": family["张三"].pk},
    )
    assert accepted.state == S.FILED and accepted.event.event_type == EventType.BIRTH


def test_bad_certificates_are_rejected_with_their_rule_and_good_ones_kept(family, personas, tmp_path):
    rows = [
        cert(doc=""),  # 2 N01
        cert(doc="B3", born="2027-02-31"),  # 3 N02
        cert(doc="B4", born=tomorrow(), **{"签发日期": ""}),  # 4 N03
        cert(doc="B5", sex="未知"),  # 5 N04
        cert(doc="B6", mother=("", MOTHER_ID)),  # 6 N05
        cert(doc="B7", mother=("张三", FATHER_ID)),  # 7 N07
        cert(doc="B8", father=("李四", MOTHER_ID)),  # 8 N08
        cert(doc="B9", **{"出生体重": "33"}),  # 9 N09
        cert(doc="B10", **{"孕周": "60"}),  # 10 N10
        cert(doc="B11"),  # 11 N11
        cert(doc="B11"),  # 12 N11
        cert(doc="B13", mother=("王某", "210124197001010000"), father=("", "")),  # 13 N12: resembles nobody
        cert(doc="B14", **{"签发日期": days_ago(18)}),  # 14 N13: issued the day before the birth
        cert(doc="B15"),  # 15 good
    ]
    job = health_import(actor=personas["county"], path=write(tmp_path / "bad.csv", rows))
    got = {r.line: r.rule_ids for r in IntakeRecord.objects.filter(job=job, state=S.REJECTED)}
    assert got == {
        2: "N01",
        3: "N02",
        4: "N03",
        5: "N04",
        6: "N05",
        7: "N07",
        8: "N08",
        9: "N09",
        10: "N10",
        11: "N11",
        12: "N11",
        13: "N12",
        14: "N13",
    }
    assert IntakeRecord.objects.get(job=job, line=15).state == S.FILED
    assert job.rows_rejected == 13


def test_the_county_uploads_a_health_file_on_its_page(family, personas, client_for, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for("county")
    assert "卫健出生医学证明导入" in client.get(reverse("integration:health_import")).content.decode()
    path = write(tmp_path / "cs.csv", [cert()])
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")}
    response = client.post(reverse("integration:health_import"), data)
    job = IntakeRecord.objects.get().job
    assert response["Location"] == reverse("integration:import_detail", args=[job.pk])
    assert (job.kind, job.state, job.rows_loaded) == ("health", "done", 1)
    # Health's births are filed by the county or a township (its operator); not by a clerk or a reviewer.
    for name in ("clerk", "reviewer"):
        assert client_for(name).get(reverse("integration:health_import")).status_code == 404
    assert client_for("operator").get(reverse("integration:health_import")).status_code == 200
