"""Historic documents: a file of 1,000 good rows and 20 kinds of bad rows —
every bad row rejected with its reason, every good row on its holder."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pims.documents import historic, selectors
from pims.documents.models import HistoricDocument
from pims.lib.citizen_id import make_citizen_id
from pims.lib.spreadsheet import SheetError
from pims.registry.personal import citizen_id_index
from pims.registry.tests.factories import make_household, make_person

pytestmark = pytest.mark.django_db

HEADER = [
    "证件类型",
    "证号",
    "持证人公民身份号码",
    "发证单位",
    "发证日期",
    "有效期至",
    "状态",
    "孩次",
    "政策属性",
    "亲生关系",
    "备注",
]


def person_with_id(village, n, sex="2", birth=dt.date(1975, 3, 1)):
    hh = make_household(village)
    number = make_citizen_id("210124", birth, n * 2, sex)
    p = make_person(
        hh, 1, sex, birth, "02", "20", id_index=citizen_id_index(number), id_masked=number[:6] + "*" * 8 + number[-4:]
    )
    return p, number


@pytest.fixture
def holders(regions, codes):
    return [person_with_id(regions["village_a1"], i) for i in range(1, 51)]


def rows_csv(rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def run(actor, data: bytes, name="h.csv", tmp_path=None):
    path = tmp_path / name
    path.write_bytes(data)
    header, rows = historic.read_rows(path, name)
    return historic.historic_import(actor=actor, header=header, rows=rows, source=name)


def test_a_thousand_good_rows_and_twenty_kinds_of_bad_rows(holders, personas, regions, tmp_path):
    good = []
    for i in range(1000):
        _, number = holders[i % 50]
        good.append(
            [
                "生育服务证",
                f"SF{i:05d}",
                number,
                "大孤家子镇",
                "2010-05-01",
                "2011-05-01",
                "已使用",
                "1",
                "政策内",
                "父母亲生",
                "",
            ]
        )
    _, n0 = holders[0]
    outsider, n_out = person_with_id(regions["village_b1"], 77)
    unknown = make_citizen_id("210124", dt.date(1970, 1, 1), 901, "1")
    HistoricDocument.objects.create(
        kind="rebirth_cert",
        number="DB001",
        holder=holders[1][0],
        holder_uuid=holders[1][0].uuid,
        region_code=holders[1][0].responsible_code,
        issuer="县",
        issue_date=dt.date(2012, 1, 1),
        source="x",
        source_line=1,
        imported_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        imported_by=personas["county"],
    )
    bad = {
        "unknown person": ["生育服务证", "B01", unknown, "镇", "2010-01-01", "", "", "", "", "", ""],
        "outside the jurisdiction": ["生育服务证", "B02", n_out, "镇", "2010-01-01", "", "", "", "", "", ""],
        "wrong type": ["准生证", "B03", n0, "镇", "2010-01-01", "", "", "", "", "", ""],
        "dates out of order": ["生育服务证", "B04", n0, "镇", "2010-01-01", "2009-01-01", "", "", "", "", ""],
        "duplicate in the file": ["生育服务证", "SF00000", n0, "镇", "2010-01-01", "", "", "", "", "", ""],
        "duplicate in the register": ["再生育证", "DB001", n0, "镇", "2010-01-01", "", "", "", "", "", ""],
        "scientific-notation ID": ["生育服务证", "B07", "2.10124E+17", "镇", "2010-01-01", "", "", "", "", "", ""],
        "formula cell": ["生育服务证", "B08", n0, '=HYPERLINK("http://x")', "2010-01-01", "", "", "", "", "", ""],
        "bad date": ["生育服务证", "B09", n0, "镇", "2010-13-45", "", "", "", "", "", ""],
        "future date": ["生育服务证", "B10", n0, "镇", "2030-01-01", "", "", "", "", "", ""],
        "bad check digit": [
            "生育服务证",
            "B11",
            n0[:-1] + ("0" if n0[-1] != "0" else "1"),
            "镇",
            "2010-01-01",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        "empty number": ["生育服务证", "", n0, "镇", "2010-01-01", "", "", "", "", "", ""],
        "empty issuer": ["生育服务证", "B13", n0, "", "2010-01-01", "", "", "", "", "", ""],
        "bad policy": ["生育服务证", "B14", n0, "镇", "2010-01-01", "", "", "", "计划外", "", ""],
        "bad parentage": ["生育服务证", "B15", n0, "镇", "2010-01-01", "", "", "", "", "亲生", ""],
        "bad birth order": ["生育服务证", "B16", n0, "镇", "2010-01-01", "", "", "二", "", "", ""],
        "issued before the holder was born": ["生育服务证", "B17", n0, "镇", "1960-01-01", "", "", "", "", "", ""],
        "empty issue date": ["生育服务证", "B18", n0, "镇", "", "", "", "", "", "", ""],
        "ID of wrong length": ["生育服务证", "B19", "2101241975", "镇", "2010-01-01", "", "", "", "", "", ""],
        "scientific-notation number": ["生育服务证", "1.2E+17", n0, "镇", "2010-01-01", "", "", "", "", "", ""],
    }
    result = run(personas["operator"], rows_csv(good + list(bad.values())), tmp_path=tmp_path)
    lines = {r.line for r in result.rejected}
    assert [w for o, w in enumerate(bad) if 1002 + o not in lines] == []
    assert result.accepted == 1000
    assert len(result.rejected) == 20
    by_line = {r.line: r.reasons for r in result.rejected}
    for offset, (what, _row) in enumerate(bad.items()):
        assert by_line.get(1002 + offset), f"{what} was not rejected"
    assert "库中没有该持证人" in by_line[1002][0] and "库中没有该持证人" in by_line[1003][0]
    assert "准生证" in by_line[1004][0]
    assert "早于发证日期" in by_line[1005][0]
    assert "文件中已出现" in by_line[1006][0] and "库中已有" in by_line[1007][0]
    assert "科学计数法" in by_line[1008][0]
    assert "公式" in by_line[1009][0]
    assert HistoricDocument.objects.filter(holder=holders[0][0]).count() == 20
    listed = selectors.historic_list_visible_to(user=personas["operator"]).filter(holder=holders[0][0])
    assert listed.count() == 20
    assert not selectors.historic_list_visible_to(user=personas["outsider"]).exists()
    rejected = historic.rejected_csv(HEADER, result).decode("utf-8-sig")
    assert "'=HYPERLINK" in rejected  # escaped: never run as a formula


def test_a_numeric_id_cell_in_xlsx_is_refused_naming_the_cell(holders, personas, tmp_path):
    from openpyxl import Workbook

    _, number = holders[0]
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["流动人口婚育证明", "M1", number, "镇", "2012-01-01"])
    ws.append(
        ["流动人口婚育证明", "M2", int(number[:17] + "0") if number[-1] == "X" else int(number), "镇", "2012-01-01"]
    )
    path = tmp_path / "h.xlsx"
    wb.save(path)
    header, rows = historic.read_rows(path, "h.xlsx")
    result = historic.historic_import(actor=personas["county"], header=header, rows=rows, source="h.xlsx")
    assert result.accepted == 1
    assert "C3" in result.rejected[0].reasons[0]
    doc = HistoricDocument.objects.get()
    assert doc.valid_to == dt.date(2014, 12, 31)  # the migrant certificate's 3 years (parameter)


def test_a_file_without_the_required_headers_is_refused(personas, tmp_path, regions, codes):
    with pytest.raises(SheetError):
        run(personas["county"], b"a,b\n1,2\n", tmp_path=tmp_path)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_import_page_and_the_list(client_for, holders, personas):
    _, number = holders[0]
    data = rows_csv([["独生子女父母光荣证（历史）", "G1", number, "法库县", "2005-01-01", "", "有效", "1", "", "", ""]])
    operator = client_for("operator")
    resp = operator.post(reverse("documents:historic_import"), {"file": SimpleUploadedFile("g.csv", data)}, follow=True)
    assert "导入 1 条，拒绝 0 条" in resp.content.decode()
    page = operator.get(reverse("documents:historic_list") + f"?person={holders[0][0].pk}").content.decode()
    assert "G1" in page and "独生子女父母光荣证（历史）" in page
    assert client_for("clerk").get(reverse("documents:historic_import")).status_code == 404
    assert (
        client_for("outsider").get(reverse("documents:historic_list") + f"?person={holders[0][0].pk}").status_code
        == 404
    )


def test_an_imported_document_is_on_its_holders_timeline(client_for, holders, personas, tmp_path):
    holder, number = holders[0]
    row = ["再生育证", "ZS0001", number, "法库县", "2009-04-01", "", "已使用", "2", "政策内", "父母亲生", ""]
    assert run(personas["operator"], rows_csv([row]), tmp_path=tmp_path).accepted == 1
    page = client_for("operator").get(reverse("events:person_timeline", args=[holder.pk])).content.decode()
    assert "再生育证（历史）" in page and "ZS0001" in page and "政策内" in page
    other = holders[1][0]
    assert (
        "ZS0001" not in client_for("operator").get(reverse("events:person_timeline", args=[other.pk])).content.decode()
    )
