"""Civil-affairs 婚姻登记 files: exact matches become marriage and divorce
events of the civil report, everything else waits for a reviewer, bad rows
are rejected with their rule, and the same records twice change nothing."""

import datetime as dt
from pathlib import Path

import pytest

from pims.events import services as events
from pims.events.models import ChangeReport, Event, EventType
from pims.events.tests.conftest import approved_household, members
from pims.integration.models import ImportJob, IntakeRecord
from pims.integration.services import ImportRefused, civil_import
from pims.lib import clock
from pims.lib.citizen_id import make_citizen_id
from pims.registry.models import Marriage, Person

from .civil import days_ago, legacy, row, single, write

S = IntakeRecord.State


def tomorrow() -> str:
    return (clock.today() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def couple(codes, personas, regions):
    """王五 (born 1990) and 赵六 (born 1992), unmarried, in township A's villages."""
    wang, wang_id = single(
        personas, regions["village_a1"], number="0101", name="王五", sex="1", birth=dt.date(1990, 3, 4), seq=31
    )
    zhao, zhao_id = single(
        personas, regions["village_a2"], number="0102", name="赵六", sex="2", birth=dt.date(1992, 7, 8), seq=42
    )
    return {"wang": (wang, wang_id), "zhao": (zhao, zhao_id)}


def marriage_row(couple, **kw):
    (_wang, wang_id), (_zhao, zhao_id) = couple["wang"], couple["zhao"]
    return row(
        husband=kw.pop("husband", ("王五", wang_id, "男", "1990-03-04")),
        wife=kw.pop("wife", ("赵六", zhao_id, "女", "1992-07-08")),
        **kw,
    )


def by_line(job):
    return {r.line: r for r in IntakeRecord.objects.filter(job=job)}


def test_an_exact_marriage_becomes_a_civil_event_the_township_approves(couple, personas, tmp_path):
    (wang, wang_id), (zhao, _) = couple["wang"], couple["zhao"]
    # The husband's legacy 15-digit ID is the same person as his 18-digit one.
    path = write(tmp_path / "hy.csv", [marriage_row(couple, husband=("王五", legacy(wang_id), "男", "1990-03-04"))])
    job = civil_import(actor=personas["county"], path=path)
    assert (job.state, job.rows_total, job.rows_loaded, job.rows_rejected) == ("done", 1, 1, 0)
    record = IntakeRecord.objects.get()
    assert record.state == S.FILED and (record.person, record.related_person) == (zhao, wang)
    assert record.region_code == zhao.registered_code
    event = record.event
    assert (event.event_type, event.source, event.review_status) == (EventType.MARRIAGE, "civil", "pending")
    assert event.effective_date == dt.date.fromisoformat(days_ago(21))
    report = event.report
    assert (report.source, report.region_code) == ("civil", "210124101000")
    # The township's reviewer approves the civil report like any other.
    events.change_report_submit(actor=personas["county"], report=report)
    events.change_report_approve(actor=personas["reviewer"], report=ChangeReport.objects.get(pk=report.pk))
    assert Marriage.objects.filter(husband=wang, wife=zhao, date=dt.date.fromisoformat(days_ago(21))).exists()
    assert set(Person.objects.filter(pk__in=[wang.pk, zhao.pk]).values_list("marital_status", flat=True)) == {"21"}


def test_a_divorce_of_a_registered_couple_is_filed(codes, personas, regions, tmp_path):
    hh = approved_household(personas, regions["village_a1"])
    family = members(hh)
    husband, wife = family["张三"], family["李四"]
    from pims.lib.citizen_id import make_citizen_id

    h_id = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
    w_id = make_citizen_id("210124", dt.date(1988, 4, 2), 22, "2")
    path = write(
        tmp_path / "lh.csv",
        [row("离婚", doc="L210124-2027-000009", husband=("张三", h_id, "男", ""), wife=("李四", w_id, "女", ""))],
    )
    civil_import(actor=personas["county"], path=path)
    record = IntakeRecord.objects.get()
    assert record.state == S.FILED and record.event.event_type == EventType.DIVORCE
    assert (record.person, record.related_person) == (wife, husband)


def test_a_record_that_does_not_match_exactly_waits_for_the_reviewer(couple, personas, tmp_path):
    (wang, wang_id), (zhao, _zhao_id) = couple["wang"], couple["zhao"]
    other_id = wang_id[:14] + "999"  # a different sequence number: not registered
    from pims.lib.citizen_id import check_char

    other_id = other_id[:17] + check_char(other_id[:17])
    path = write(
        tmp_path / "hy.csv",
        [
            marriage_row(couple, husband=("王伍", wang_id, "男", "1990-03-04")),  # registered ID, other name
            marriage_row(couple, doc="J2", husband=("王五", other_id, "男", "1990-03-04")),  # ID not registered
        ],
    )
    job = civil_import(actor=personas["county"], path=path)
    records = by_line(job)
    assert [records[2].state, records[3].state] == [S.REVIEW, S.REVIEW]
    husband = records[2].matches["husband"]
    assert {k: husband[k] for k in ("kind", "person", "diffs", "candidates", "id_problem")} == {
        "kind": "differs",
        "person": wang.pk,
        "diffs": ["name"],
        "candidates": [wang.pk],
        "id_problem": "",
    }
    # The probabilistic matcher's finding: 王伍 and 王五 sound the same.
    assert (
        husband["scores"][0]["person"] == wang.pk
        and husband["scores"][0]["why"][0]["label"] == "姓名读音相同（同音字）"
    )
    # Same name, sex and birth date: a candidate, never an automatic match.
    assert records[3].matches["husband"]["kind"] == "unknown" and records[3].matches["husband"]["candidates"] == [
        wang.pk
    ]
    assert not Event.objects.filter(source="civil").exists()
    assert records[2].region_code == zhao.registered_code and job.warnings == {"review": 2}


def test_bad_rows_are_rejected_with_their_rule_and_every_good_row_is_kept(couple, personas, tmp_path):
    (_wang, wang_id), (_zhao, zhao_id) = couple["wang"], couple["zhao"]
    nobody = make_citizen_id("210124", dt.date(1970, 1, 1), 99, "1")  # resembles nobody registered
    broken_id = nobody[:16] + ("1" if nobody[16] != "1" else "3") + nobody[17]  # check digit now wrong
    h = ("王五", wang_id, "男", "1990-03-04")
    w = ("赵六", zhao_id, "女", "1992-07-08")
    rows = [
        row("订婚", doc="A1", husband=h, wife=w),  # 2 M01
        row(date="2027-02-30", doc="A2", husband=h, wife=w),  # 3 M02
        row(date=tomorrow(), doc="A3", husband=h, wife=w),  # 4 M03
        row(doc="", husband=h, wife=w),  # 5 M04
        row(doc="A5", husband=("", wang_id, "男", ""), wife=w),  # 6 M05
        row(doc="A6", husband=("王五", "", "男", ""), wife=w),  # 7 M06
        row(doc="A7", husband=("王五", wang_id, "女", ""), wife=w),  # 8 M07
        row(doc="A8", husband=h, wife=("赵六", zhao_id, "女", "1992-07-09")),  # 9 M08
        row(doc="A9", husband=h, wife=h),  # 10 M09 and M10
        row(doc="A10", husband=h, wife=w),  # 11 M11
        row(doc="A10", husband=h, wife=w),  # 12 M11
        row(doc="A12", husband=("李某", broken_id, "男", "1970-01-01"), wife=w),  # 13 M12
        row(doc="A13", husband=h, wife=w),  # 14 good
    ]
    job = civil_import(actor=personas["county"], path=write(tmp_path / "bad.csv", rows))
    records = by_line(job)
    expected = {
        2: "M01",
        3: "M02",
        4: "M03",
        5: "M04",
        6: "M05",
        7: "M06",
        8: "M07",
        9: "M08",
        10: "M09,M10",
        11: "M11",
        12: "M11",
        13: "M12",
    }
    assert {line: r.rule_ids for line, r in records.items() if r.state == S.REJECTED} == expected
    assert records[7].field == "husband_citizen_id" and "第 7 行" in records[7].reasons
    assert records[14].state == S.FILED
    assert (job.rows_rejected, job.rows_loaded) == (12, 1)
    text = Path(job.rejected_file).read_text(encoding="utf-8-sig")
    assert "M12" in text and "订婚" in text and "A13" not in text


def test_an_under_age_marriage_is_refused_by_the_events_engine(codes, personas, regions, tmp_path):
    young, young_id = single(
        personas,
        regions["village_a1"],
        number="0201",
        name="孙七",
        sex="1",
        birth=dt.date(clock.today().year - 20, 1, 1),
        seq=51,
    )
    bride, bride_id = single(
        personas, regions["village_a1"], number="0202", name="周八", sex="2", birth=dt.date(2000, 1, 1), seq=62
    )
    path = write(tmp_path / "u.csv", [row(husband=("孙七", young_id, "男", ""), wife=("周八", bride_id, "女", ""))])
    job = civil_import(actor=personas["county"], path=path)
    record = IntakeRecord.objects.get()
    assert record.state == S.REJECTED and "法定婚龄" in record.reasons
    assert job.rows_rejected == 1 and not Event.objects.filter(source="civil").exists()


def test_reissues_change_nothing_and_annulments_go_to_a_reviewer(couple, personas, tmp_path):
    path = write(tmp_path / "x.csv", [marriage_row(couple, kind="补领"), marriage_row(couple, kind="撤销", doc="J9")])
    job = civil_import(actor=personas["county"], path=path)
    records = by_line(job)
    assert (records[2].state, records[3].state) == (S.NO_CHANGE, S.REVIEW)
    assert not Event.objects.filter(source="civil").exists()


def test_the_same_records_again_change_nothing(couple, personas, tmp_path):
    path = write(tmp_path / "hy.csv", [marriage_row(couple)])
    first = civil_import(actor=personas["county"], path=path)
    assert civil_import(actor=personas["county"], path=path).pk == first.pk  # the same file: the same job
    again = civil_import(actor=personas["county"], path=path, again=True)
    # Another file with the same certificate: recognised by its number.
    other = civil_import(
        actor=personas["county"],
        path=write(tmp_path / "other.csv", [marriage_row(couple, **{"登记机关": "法库县婚姻登记处"})]),
    )
    assert again.pk != first.pk and other.pk not in (first.pk, again.pk)
    assert [r.state for r in IntakeRecord.objects.filter(job__in=[again, other])] == [S.PRESENT, S.PRESENT]
    assert Event.objects.filter(source="civil").count() == 1
    assert ImportJob.objects.filter(kind="civil").count() == 3


def test_only_who_files_civil_reports_may_import_them(couple, personas, tmp_path):
    path = write(tmp_path / "hy.csv", [marriage_row(couple)])
    for name in ("operator", "reviewer", "clerk", "outsider"):
        with pytest.raises(ImportRefused):
            civil_import(actor=personas[name], path=path)


def test_a_file_without_the_required_columns_imports_nothing(couple, personas, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("业务类型,登记日期\n结婚,2027-02-01\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="结婚证字号"):
        civil_import(actor=personas["county"], path=path)
    assert not ImportJob.objects.exists()


def test_the_county_uploads_a_civil_file_and_sees_what_waits(couple, personas, client_for, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    path = write(
        tmp_path / "hy.csv",
        [marriage_row(couple), marriage_row(couple, doc="J2", husband=("王伍", couple["wang"][1], "男", ""))],
    )
    client = client_for("county")
    assert "民政婚姻登记导入" in client.get(reverse("integration:civil_import")).content.decode()
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")}
    response = client.post(reverse("integration:civil_import"), data)
    job = ImportJob.objects.get(kind="civil")
    assert response["Location"] == reverse("integration:import_detail", args=[job.pk])
    assert (job.state, job.rows_loaded, job.warnings) == ("done", 1, {"review": 1})
    page = client.get(reverse("integration:import_detail", args=[job.pk])).content.decode()
    assert "1 条记录待核对" in page and reverse("integration:review_list") in page
    # Who does not file civil reports does not see the page.
    for name in ("operator", "reviewer", "outsider"):
        assert client_for(name).get(reverse("integration:civil_import")).status_code == 404
