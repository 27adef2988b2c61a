"""Spreadsheet cells: the one reader of XLSX files, and the one escaping of
every CSV and XLSX cell the system writes.

Excel keeps a number to 15 significant digits, so an 18-digit citizen ID
typed into a cell formatted as a number is already changed in the file
(110105199001011234 is saved as 1.10105199001011E+17); a phone number or a
household number loses its leading zeros. No reader can recover the digits,
and a guess can be another person's valid ID. So a column that holds an
identifier — ID numbers, phone numbers, household numbers, certificate
numbers: each importer's column table marks them ``text_only`` — refuses a
numeric cell, naming the cell and saying how to format the column as text;
the same column of a CSV refuses the scientific notation Excel writes for
such a number. Every other column reads a number as its digits.

Every importer opens XLSX through :func:`read_xlsx` (a test keeps
``load_workbook`` out of other modules), so this holds for readers added
later.

Writing: a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or CR is
run as a formula when the file is opened in Excel (``=HYPERLINK(...)`` in a
rejected-rows file can send the plaintext ID beside it to an outside host).
Every exporter writes its cells through :func:`csv_writer` or
:func:`xlsx_value`: in a CSV such text gets a leading apostrophe (which the
importers strip again, :func:`unescape`); in an XLSX it is stored as a
quote-prefixed text cell, so Excel shows it exactly and never evaluates it.
Plain numbers (``-3``, ``+1.5``, ``12%``) are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from .errors import Invalid

# Zip bombs: an XLSX is a zip of XML. Real sheets compress about 5-20 times;
# refuse a member that unpacks to more than this many times its packed size
# once it is large, or a file that unpacks to more than the total.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 20 << 20
MAX_UNPACKED_BYTES = 4 << 30

# Excel's own words for the remedy, shown with every refused cell.
TEXT_FORMAT_HOW = (
    "请把该列设为文本格式（选中整列 → 右键“设置单元格格式” → “数字”选项卡选“文本”），"
    "再重新输入这些号码（或在号码前加英文单引号 '），保存后重新导入"
)
SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
# The Python date types a cell may hold (openpyxl gives datetime for date cells).
_DATES = (dt.datetime, dt.date)


class SheetError(Invalid, ValueError):
    """The file as a whole cannot be read; the message is for the clerk."""


@dataclass(frozen=True)
class RefusedCell:
    """A cell of a text-only column that holds a number."""

    ref: str  # "A5"
    header: str
    shown: str  # the number as Excel shows it, for the rejected-rows file


@dataclass
class SheetRow:
    line: int  # row number in the sheet (the header is 1)
    cells: list[str]
    refused: list[RefusedCell] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def number_text(value: int | float) -> str:
    """A spreadsheet number as Excel shows it: integers as their digits
    (never float artefacts such as ...008), others as the shortest decimal;
    beyond 15 significant digits, where Excel has already rounded, in
    Excel's scientific notation so that nobody takes it for the real digits."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) >= 1e15:
        return f"{value:.15G}"
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)).normalize(), "f")


def cell_text(value: object) -> str:
    """A cell of an ordinary column as text: numbers as their digits, dates
    as ISO text, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, _DATES):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return str(value).strip()


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def looks_converted(text: str) -> bool:
    """Text of an identifier column that Excel turned into a number when the
    file was saved as CSV (1.10105E+17)."""
    return bool(SCIENTIFIC_RE.match(text.strip()))


def cells_named(refused: list[RefusedCell]) -> str:
    """The refused cells of a row for a message: A5（公民身份号码，显示为 1.10105199001011E+17）."""
    return "、".join(f"{c.ref}（{c.header}，显示为 {c.shown}）" for c in refused)


def check_zip(path: Path) -> None:
    """Refuse a zip whose members unpack to far more than they pack (a zip
    bomb) before any XML parser sees it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SheetError(f"无法打开 Excel 文件（文件可能已损坏或被截断）：{exc}") from None
    total = 0
    for info in members:
        total += info.file_size
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size / packed > MAX_RATIO:
            raise SheetError(
                f"Excel 文件中的 {info.filename} 解压后为 {info.file_size} 字节，是压缩大小的 "
                f"{info.file_size // packed} 倍，不像正常的表格（可能是恶意文件），已拒绝"
            )
    if total > MAX_UNPACKED_BYTES:
        raise SheetError(f"Excel 文件解压后共 {total} 字节，超过上限 {MAX_UNPACKED_BYTES} 字节，请拆分后导入")


def read_xlsx(
    path: Path,
    *,
    text_only: Callable[[list[str]], Collection[int]],
    start_line: int = 0,
    header_only: bool = False,
) -> Iterator[SheetRow]:
    """The first worksheet: its header row (line 1, trailing empty headers
    dropped), then every non-empty row after `start_line`, as text cells.

    `text_only(header)` names the column indexes that hold identifiers
    (required: a new importer must say which of its columns they are); a
    number in one of them is not turned into text but listed in
    `SheetRow.refused` (its cell shows Excel's display of the number).
    Raises SheetError for a file that is not a readable workbook."""
    from openpyxl import load_workbook

    check_zip(Path(path))
    # A damaged workbook can make the parser raise nearly anything (XML
    # syntax errors, missing parts, bad numbers): all of it means "this
    # file cannot be read", which the clerk must be told, not a 500.
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(f"无法打开 Excel 文件（文件可能已损坏或被截断）：{exc}") from None
    line = 1
    try:
        if not wb.worksheets:
            raise SheetError("Excel 文件中没有工作表")
        rows = wb.worksheets[0].iter_rows(values_only=True)
        try:
            header = [cell_text(v) for v in next(rows)]
        except StopIteration:
            raise SheetError("工作表是空的，没有表头行") from None
        while header and not header[-1]:
            header.pop()
        yield SheetRow(1, header)
        if header_only:
            return
        guarded = {i for i in text_only(header) if i < len(header)}
        for line, values in enumerate(rows, start=2):
            if line <= start_line:
                continue
            row = _sheet_row(line, values, header, guarded)
            if any(row.cells):
                yield row
    except SheetError:
        raise
    except Exception as exc:  # as above, while reading the rows
        raise SheetError(f"读取 Excel 文件第 {line} 行附近时出错（文件可能已损坏或被截断）：{exc}") from None
    finally:
        wb.close()


def _sheet_row(line: int, values: Iterable[object], header: list[str], guarded: set[int]) -> SheetRow:
    cells: list[str] = []
    refused: list[RefusedCell] = []
    for i, value in enumerate(values):
        if i in guarded and is_number(value):
            shown = number_text(value)
            refused.append(RefusedCell(f"{column_letter(i)}{line}", header[i], shown))
            cells.append(shown)
        else:
            cells.append(cell_text(value))
    return SheetRow(line, cells, refused)


# --- writing ------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*)?(?:\.\d+)?%?$")


def formula_like(text: str) -> bool:
    """Text a spreadsheet would run as a formula (or a DDE command): it
    starts, perhaps after spaces, with one of FORMULA_START and is not just
    a number."""
    head = text.lstrip(" ")
    return head[:1] in FORMULA_START and not _PLAIN_NUMBER.match(head)


def _needs_quote(text: str) -> bool:
    # Text that already starts with apostrophes before a formula gets one
    # more, so that unescape gives back exactly what was written.
    return formula_like(text.lstrip("'"))


def csv_value(value: object) -> object:
    """A value for a CSV cell: formula-like text behind an apostrophe;
    numbers and other values unchanged."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """What :func:`csv_value` wrote, read back (a rejected-rows file the
    clerk corrected and imports again)."""
    if text[:1] == "'" and _needs_quote(text):
        return text[1:]
    return text


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class _SafeWriter:
    """csv.writer whose every cell passes csv_value."""

    def __init__(self, writer: _RowWriter):
        self._writer = writer

    def writerow(self, row: Iterable[object]) -> object:
        return self._writer.writerow([csv_value(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: SupportsWrite[str], **kwargs: Any) -> _SafeWriter:
    """The csv.writer every CSV export uses."""
    return _SafeWriter(csv.writer(fh, **kwargs))


def _as_text(cell: Any) -> Any:  # an openpyxl cell
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def xlsx_value(ws: Any, value: object) -> object:
    """A value for ``ws.append`` on a write-only sheet: formula-like text
    becomes a quote-prefixed text cell (openpyxl would otherwise store text
    starting with ``=`` as a formula)."""
    if not (isinstance(value, str) and formula_like(value)):
        return value
    from openpyxl.cell import WriteOnlyCell

    return _as_text(WriteOnlyCell(ws, value=value))


def xlsx_row(ws: Any, row: Iterable[object]) -> list[object]:
    """A row for ``ws.append``, every cell through xlsx_value."""
    return [xlsx_value(ws, v) for v in row]


def xlsx_set(ws: Any, row: int, column: int, value: object) -> Any:
    """``ws.cell(row=, column=, value=)`` on a normal sheet, formula-like
    text kept as text; returns the cell."""
    cell = ws.cell(row=row, column=column, value=value)
    return _as_text(cell) if isinstance(value, str) and formula_like(value) else cell
