"""Issue 14.5: broken and empty files on the import page get a clear message
and their upload is removed; NUL bytes are judged the same wherever they are."""

import csv
import html
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from pims.integration import launch
from pims.integration.format import HEADERS
from pims.integration.models import ImportJob
from pims.integration.reader import NO_ROWS, SAMPLE_BYTES, detect, iter_rows
from pims.integration.rejected import rejected_path
from pims.integration.tests.test_numeric_cells import row
from pims.lib.spreadsheet import column_letter
from pims.registry.models import Person

pytestmark = pytest.mark.usefixtures("codes")


def _upload(client, name, content):
    return client.post(reverse("integration:import_list"), {"file": SimpleUploadedFile(name, content)})


def _nothing_kept():
    assert ImportJob.objects.count() == 0
    assert not [p for p in launch.upload_dir().rglob("*") if p.is_file()]


def _active(wb: Workbook):
    ws = wb.active
    assert ws is not None  # a new workbook has its sheet
    return ws


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = _active(wb)
    for cells in rows:
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_without_worksheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_xlsx([HEADERS])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename.startswith("xl/worksheets/"):
                continue
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                start, end = text.index("<sheets>"), text.index("</sheets>") + len("</sheets>")
                data = (text[:start] + "<sheets/>" + text[end:]).encode()
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_without_worksheet_is_refused_and_its_upload_removed(regions, client_for):
    resp = _upload(client_for("operator"), "户籍.xlsx", _xlsx_without_worksheet())
    assert resp.status_code == 200
    assert "工作表" in resp.content.decode() or "无法打开" in resp.content.decode()
    _nothing_kept()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("户籍.csv", (",".join(HEADERS) + "\r\n").encode("utf-8")),
        ("户籍.csv", (",".join(HEADERS) + "\r\n\r\n   \r\n").encode("utf-8")),
        ("户籍.xlsx", _xlsx([HEADERS])),
    ],
)
def test_header_only_file_says_no_rows(regions, client_for, name, content):
    resp = _upload(client_for("operator"), name, content)
    assert resp.status_code == 200 and NO_ROWS in resp.content.decode()
    _nothing_kept()


def test_truncated_xlsx_is_refused_and_removed(regions, client_for):
    content = _xlsx([HEADERS, ["x"] * len(HEADERS)])
    resp = _upload(client_for("operator"), "户籍.xlsx", content[: len(content) // 2])
    assert resp.status_code == 200 and "Excel" in resp.content.decode()
    _nothing_kept()


def test_nul_in_a_row_is_that_rows_problem_before_and_after_the_first_4_mb(tmp_path):
    header = ",".join(HEADERS).encode() + b"\n"
    row = b",".join([b"a"] * len(HEADERS)) + b"\n"
    broken = b",".join([b"a\x00b"] + [b"a"] * (len(HEADERS) - 1)) + b"\n"
    padding = b" \n" * (SAMPLE_BYTES // 2 + 10)  # blank lines: skipped by the reader
    path = tmp_path / "nul.csv"
    path.write_bytes(header + row + broken + padding + row + broken)
    fmt, encoding = detect(path)  # not refused: the NUL is in a data row
    rows = list(iter_rows(path, fmt, encoding, text_only=()))[1:]
    problems = [(r.line, r.problem.rule_id if r.problem else None) for r in rows]
    assert [p for p in problems if p[1] == "P13"] == [(3, "P13"), (4 + SAMPLE_BYTES // 2 + 10 + 1, "P13")]
    assert sum(1 for p in problems if p[1] is None) == 2


def test_nul_in_the_header_still_refuses_the_file(tmp_path):
    from pims.integration.reader import SourceError

    path = tmp_path / "utf16.csv"
    path.write_bytes(",".join(HEADERS).encode("utf-16-le") + b"\n\x00")
    with pytest.raises(SourceError):
        detect(path)


# --- the bad-input suite (issue 14, "Done when"): every kind of broken file
# through the real upload page. A file refused whole leaves no job and no
# upload behind and says why; a broken row is rejected naming its line and
# rule while nothing of it is stored. Never a server error.


def _messages(resp) -> list[str]:
    """What the import form says: its errors (the page's whole text if none)."""
    page = resp.content.decode()
    found = re.findall(r'<li>(.*?)</li>|<span class="error">(.*?)</span>', page)
    return [html.unescape(text) for pair in found for text in pair if text]


def _csv(rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A sheet that unpacks to 60 MB from a few kilobytes."""
    good = zipfile.ZipFile(io.BytesIO(_xlsx([HEADERS])))
    members = {i.filename: good.read(i.filename) for i in good.infolist()}
    members["xl/worksheets/sheet1.xml"] = b"<x>" + b" " * (60 << 20) + b"</x>"
    return _zip(members)


def _merged_header() -> bytes:
    wb = Workbook()
    ws = _active(wb)
    ws.append(HEADERS[:2] + [""] + HEADERS[3:])
    ws.merge_cells("B1:C1")
    ws.append(["x"] * len(HEADERS))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _empty_sheet() -> bytes:
    buf = io.BytesIO()
    Workbook().save(buf)
    return buf.getvalue()


REFUSED_FILES = [
    ("empty-file", "户籍.csv", lambda: b"", "空文件"),
    ("blank-file", "户籍.csv", lambda: b" \r\n\r\n\t\r\n", "文件为空"),
    ("bom-only", "户籍.csv", lambda: b"\xef\xbb\xbf", "表头"),
    ("utf16-with-bom", "户籍.csv", lambda: "\ufeff".encode("utf-16-le") + _csv([HEADERS], "utf-16-le"), "UTF-16"),
    ("utf16-without-bom", "户籍.csv", lambda: _csv([HEADERS, ["x"] * len(HEADERS)], "utf-16-le"), "UTF-16"),
    ("nul-in-header", "户籍.csv", lambda: (",".join(HEADERS) + "\x00\r\n").encode(), "空字节"),
    ("neither-utf8-nor-gbk", "户籍.csv", lambda: b"\xff\xfe\xfd," * 50 + b"\r\n" + b"\x80\x81\xff\r\n" * 20, "编码"),
    ("header-missing-columns", "户籍.csv", lambda: _csv([["姓名", "性别"], ["张三", "男"]]), "公民身份号码"),
    ("duplicate-headers", "户籍.csv", lambda: _csv([HEADERS + ["姓名"], ["x"] * (len(HEADERS) + 1)]), "姓名"),
    ("broken-header-quoting", "户籍.csv", lambda: ('"' + ",".join(HEADERS) + "\r\nx\r\n").encode(), "表头"),
    ("empty-sheet", "户籍.xlsx", _empty_sheet, "表头"),
    ("png-named-xlsx", "户籍.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "Excel"),
    ("pdf-named-xlsx", "户籍.xlsx", lambda: b"%PDF-1.7\n" + b"x" * 200, "Excel"),
    ("csv-named-xlsx", "户籍.xlsx", lambda: _csv([HEADERS, ["x"] * len(HEADERS)]), "Excel"),
    ("zip-without-workbook", "户籍.xlsx", lambda: _zip({"readme.txt": b"hello"}), "Excel"),
    ("zip-bomb", "户籍.xlsx", _zip_bomb, "恶意文件"),
    ("old-excel-xls", "户籍.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, ".xls"),
    ("merged-header-cells", "户籍.xlsx", _merged_header, "性别"),
]


@pytest.mark.parametrize(("name", "build", "words"), [c[1:] for c in REFUSED_FILES], ids=[c[0] for c in REFUSED_FILES])
def test_a_broken_file_is_refused_whole_with_a_clear_message(regions, client_for, name, build, words):
    resp = _upload(client_for("operator"), name, build())
    assert resp.status_code == 200
    said = _messages(resp)
    assert any(words in m for m in said), said
    _nothing_kept()


def _sheet(rows, *, merge: str = "") -> bytes:
    wb = Workbook()
    ws = _active(wb)
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rejected(job) -> dict[int, dict]:
    with open(rejected_path(job), encoding="utf-8-sig", newline="") as fh:
        return {int(r["原行号"]): r for r in csv.DictReader(fh)}


COL = {h: i for i, h in enumerate(HEADERS)}


def _letter(header: str) -> str:
    return column_letter(COL[header])


def _truncated(content: bytes) -> bytes:
    """Cut in the last line, at a comma (a cut inside a character is P01)."""
    return content[: content.rindex(b",", 0, len(content) - 40)]


def _bad_rows(village):
    good, other = row(1, village), row(2, village)
    long_name = row(3, village, 姓名="张" * 100_000)
    return [
        # (id, file name, content, {line: rule the rejected row names})
        ("nul-in-csv-cell", "户籍.csv", _csv([HEADERS, row(1, village, 姓名="张\x00三")]), {2: "P13"}),
        ("escape-in-csv-cell", "户籍.csv", _csv([HEADERS, row(1, village, 户籍地址="测试\x1b[31m村")]), {2: "P13"}),
        ("c1-in-csv-cell", "户籍.csv", _csv([HEADERS, row(1, village, 姓名="张\x85三")]), {2: "P13"}),
        ("del-in-xlsx-cell", "户籍.xlsx", _sheet([row(1, village, 姓名="张\x7f三")]), {2: "P13"}),
        ("c1-in-xlsx-cell", "户籍.xlsx", _sheet([row(1, village, 户籍地址="测试\x9b村")]), {2: "P13"}),
        ("formula-text-in-name", "户籍.csv", _csv([HEADERS, row(1, village, 姓名="=1+2")]), {2: "I02"}),
        ("at-formula-in-name", "户籍.csv", _csv([HEADERS, row(1, village, 姓名="@SUM(A1)")]), {2: "I02"}),
        ("numeric-id-cell", "户籍.xlsx", _sheet([row(1, village, 公民身份号码=int(good[0]))]), {2: "P11"}),
        ("scientific-id-in-csv", "户籍.csv", _csv([HEADERS, row(1, village, 公民身份号码="2.10124E+17")]), {2: "P12"}),
        (
            "merged-household-cells",
            "户籍.xlsx",
            _sheet([good, row(2, village, 户号="", 与户主关系="子")], merge=f"{_letter('户号')}2:{_letter('户号')}3"),
            {3: "H01"},
        ),
        ("impossible-date", "户籍.csv", _csv([HEADERS, row(1, village, 出生日期="19850230")]), {2: "I11"}),
        (
            "date-in-words",
            "户籍.csv",
            _csv([HEADERS, row(1, village, 公民身份号码="", 无身份号码原因="9", 出生日期="一九八五年三月一日")]),
            {2: "I11"},
        ),
        (
            "date-with-slashes",
            "户籍.csv",
            _csv([HEADERS, row(1, village, 公民身份号码="", 无身份号码原因="9", 出生日期="03/01/1985")]),
            {2: "I11"},
        ),
        ("very-long-cell", "户籍.csv", _csv([HEADERS, long_name]), {2: "I28"}),
        ("short-row", "户籍.csv", _csv([HEADERS, good[:5]]), {2: "P02"}),
        ("invalid-utf8-row", "户籍.csv", _csv([HEADERS, good]) + b"\xff\xfe\xfd\r\n", {3: "P01"}),
        ("truncated-csv", "户籍.csv", _truncated(_csv([HEADERS, good, other])), {3: "P02"}),
    ]


def _bad_row_ids():
    return [case[0] for case in _bad_rows("210124101201")]


@pytest.mark.parametrize("case", range(len(_bad_row_ids())), ids=_bad_row_ids())
def test_a_broken_row_is_rejected_naming_line_and_rule_and_nothing_of_it_stored(regions, client_for, case):
    _id, name, content, expected = _bad_rows(regions["village_a1"].code)[case]
    resp = _upload(client_for("operator"), name, content)
    assert resp.status_code == 302, _messages(resp)
    job = ImportJob.objects.get()
    rejected = _rejected(job)
    assert set(rejected) == set(expected), {n: r["错误说明"] for n, r in rejected.items()}
    for line, rule in expected.items():
        assert rule in rejected[line]["错误规则"].split(","), rejected[line]["错误说明"]
        assert f"第 {line} 行" in rejected[line]["错误说明"]
    # Nothing of a rejected row is in the register; the good rows around it are.
    assert job.rows_rejected == len(expected) and Person.objects.count() == job.rows_loaded
    names = set(Person.objects.values_list("name", flat=True))
    assert not names & {r["姓名"] for r in rejected.values()}
    assert not [p for p in launch.upload_dir().rglob("*") if p.is_file()]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
def test_gbk_and_bom_files_are_read_as_what_they_say(regions, client_for, encoding):
    content = _csv([HEADERS, row(1, regions["village_a1"].code, 姓名="龚喆")], encoding)
    resp = _upload(client_for("operator"), "户籍.csv", content)
    assert resp.status_code == 302, _messages(resp)
    assert list(Person.objects.values_list("name", flat=True)) == ["龚喆"]
