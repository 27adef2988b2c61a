"""Issue 14.5: broken and empty files on the import page get a clear message
and their upload is removed; NUL bytes are judged the same wherever they are."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from pims.integration import launch
from pims.integration.format import HEADERS
from pims.integration.models import ImportJob
from pims.integration.reader import NO_ROWS, SAMPLE_BYTES, detect, iter_rows

pytestmark = pytest.mark.usefixtures("codes")


def _upload(client, name, content):
    return client.post(reverse("integration:import_list"), {"file": SimpleUploadedFile(name, content)})


def _nothing_kept():
    assert ImportJob.objects.count() == 0
    assert not [p for p in launch.upload_dir().rglob("*") if p.is_file()]


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
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
