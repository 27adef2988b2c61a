"""Reading an extract file row by row, resumably.

File-level problems (not CSV/XLSX, an encoding that is neither UTF-8 nor
GB18030, no header, a broken XLSX) raise `SourceError`: nothing is imported.
Row-level problems (a line that does not decode, a wrong number of columns —
e.g. the last line of a truncated file —, broken CSV quoting) come back as
`SourceRow.problem`, a violation of an import rule: that row is rejected and
the others go on. One record per line: a quoted field cannot span lines.
"""

import csv
import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from pims.lib import spreadsheet
from pims.lib.controlchars import describe, has_control
from pims.registry.checks.base import Violation, violation

from . import rules  # noqa: F401  (P-rules registered)

SAMPLE_BYTES = 4 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


# The file as a whole cannot be read; the message is for the clerk.
SourceError = spreadsheet.SheetError


@dataclass
class SourceRow:
    line: int  # physical line in a CSV, row number in a sheet (the header is 1)
    cells: list[str]
    end: int  # byte offset just after the line (CSV; 0 for XLSX)
    problem: Violation | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def detect(path: Path) -> tuple[str, str]:
    """(format, encoding): ("xlsx", "") or ("csv", "utf-8-sig" | "utf-8" | "gb18030")."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"文件不存在：{path}")
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise SourceError("文件为空")
    if sample.startswith(XLSX_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx", ""
    if sample.startswith(XLS_MAGIC) or path.suffix.lower() == ".xls":
        raise SourceError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入")
    # A NUL in the header line: UTF-16 or a binary file — refused whole. A NUL
    # (or another control character) in a data row, wherever in the file, is
    # that row's problem (P13), so the first 4 MB are judged as the rest.
    if b"\x00" in sample.split(b"\n", 1)[0]:
        raise SourceError("无法识别文件编码：文件含有空字节（可能是 UTF-16 编码或二进制文件），请另存为 UTF-8 CSV")
    if sample.startswith(b"\xef\xbb\xbf"):
        return "csv", "utf-8-sig"
    if len(sample) == SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # never judge half a character
    return "csv", _guess_encoding(sample)


def _guess_encoding(sample: bytes) -> str:
    """Strict UTF-8, else GB18030, judged line by line over the sample's
    lines that are not plain ASCII: the encoding under which fewer lines fail
    wins (UTF-8 on a tie), so one bad line does not turn a UTF-8 file into
    GB18030 garbage — that line is rejected later (P01). If even the better
    one fails on most lines, the file is refused."""
    lines = [raw for raw in sample.split(b"\n") if not raw.isascii()]
    if not lines:
        return "utf-8"
    failures = {}
    for encoding in ("utf-8", "gb18030"):
        bad = 0
        for raw in lines:
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                bad += 1
        if bad == 0:
            return encoding
        failures[encoding] = bad
    best = min(failures, key=lambda e: (failures[e], e != "utf-8"))
    if failures[best] > len(lines) / 2:
        raise SourceError("无法识别文件编码：文件既不是 UTF-8 也不是 GB18030（GBK）编码，请另存为 UTF-8 CSV")
    return best


def read_header(path: Path, fmt: str, encoding: str) -> list[str]:
    rows = iter_rows(path, fmt, encoding, text_only=(), header_only=True)
    try:
        return next(rows).cells
    except StopIteration:
        raise SourceError("文件没有表头行") from None


NO_ROWS = "文件只有表头，没有数据行"


def check_readable(path: Path, fmt: str, encoding: str) -> None:
    """Refuse, before a job is made, a file whose header cannot be read (a
    workbook without a worksheet, a damaged file) or that has no data row."""
    rows = iter_rows(path, fmt, encoding, text_only=())
    try:
        next(rows)
    except StopIteration:
        raise SourceError("文件没有表头行") from None
    try:
        next(rows)
    except StopIteration:
        raise SourceError(NO_ROWS) from None
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def iter_rows(
    path: Path,
    fmt: str,
    encoding: str,
    *,
    text_only: Collection[int],
    start_line: int = 0,
    start_offset: int = 0,
    header_only=False,
) -> Iterator[SourceRow]:
    """The header (line 1) and then every row after `start_line`. A resumed
    CSV read seeks to `start_offset`, the byte after line `start_line`.
    `text_only`: the indexes of identifier columns (format.text_only_columns),
    whose numeric XLSX cells (P11) or Excel-converted CSV values (P12) are
    refused."""
    if fmt == "xlsx":
        yield from _xlsx_rows(path, start_line, header_only, text_only)
    else:
        yield from _csv_rows(path, encoding, start_line, start_offset, header_only, text_only)


def _delimiter(header_text: str) -> str:
    """Comma, or tab for a tab-separated export."""
    return "\t" if header_text.count("\t") > header_text.count(",") else ","


def _csv_rows(path, encoding, start_line, start_offset, header_only, text_only):
    with open(path, "rb") as fh:
        header_raw = fh.readline()
        try:
            header_text = header_raw.decode(encoding).rstrip("\r\n")
        except UnicodeDecodeError:
            raise SourceError(f"表头行无法按 {encoding} 编码读取") from None
        delimiter = _delimiter(header_text)
        try:
            header = next(csv.reader([header_text], delimiter=delimiter, strict=True))
        except (csv.Error, StopIteration):
            raise SourceError("表头行不是有效的 CSV") from None
        header = [h.strip().lstrip("\ufeff") for h in header]
        yield SourceRow(1, header, fh.tell())
        if header_only:
            return
        width = len(header)
        line = 1
        if start_line > 1:
            fh.seek(start_offset)
            line = start_line
        offset = fh.tell()
        label = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
        for raw in fh:
            line += 1
            offset += len(raw)
            try:
                text = raw.decode(encoding).rstrip("\r\n")
            except UnicodeDecodeError:
                yield SourceRow(line, [], offset, violation("P01", row=line, encoding=label))
                continue
            if not text.strip():
                continue
            if has_control(text):
                yield SourceRow(line, [], offset, violation("P13", row=line, char=describe(text)))
                continue
            if '"' in text:
                try:
                    cells = next(csv.reader([text], delimiter=delimiter, strict=True))
                except csv.Error as exc:
                    yield SourceRow(line, [], offset, violation("P03", row=line, reason=str(exc)))
                    continue
            else:
                cells = text.split(delimiter)
            if "'" in text:  # a value the rejected-rows file escaped (spreadsheet.csv_value)
                cells = [spreadsheet.unescape(c) for c in cells]
            if len(cells) != width:
                yield SourceRow(line, cells, offset, violation("P02", row=line, found=len(cells), expected=width))
                continue
            yield SourceRow(line, cells, offset, _converted(line, cells, header, text_only))


def _converted(line: int, cells: list[str], header: list[str], text_only: Collection[int]) -> Violation | None:
    """P12: identifiers Excel saved as numbers in scientific notation."""
    refused = [
        spreadsheet.RefusedCell(f"{spreadsheet.column_letter(i)}{line}", header[i], cells[i].strip())
        for i in sorted(text_only)
        if i < len(cells) and spreadsheet.looks_converted(cells[i])
    ]
    if not refused:
        return None
    return violation("P12", row=line, cells=spreadsheet.cells_named(refused), how=spreadsheet.TEXT_FORMAT_HOW)


def _xlsx_rows(path, start_line, header_only, text_only):
    rows = spreadsheet.read_xlsx(
        path, text_only=lambda _header: text_only, start_line=start_line, header_only=header_only
    )
    header = next(rows)
    yield SourceRow(1, header.cells, 0)
    width = len(header.cells)
    for row in rows:
        line, cells = row.line, row.cells
        if len(cells) > width and any(cells[width:]):
            yield SourceRow(line, cells, 0, violation("P02", row=line, found=len(cells), expected=width))
            continue
        cells = (cells + [""] * width)[:width]
        problem = None
        control = next((c for c in cells if has_control(c)), None)
        if control is not None:  # as in a CSV line (P13), wherever the character is
            yield SourceRow(line, cells, 0, violation("P13", row=line, char=describe(control)))
            continue
        if row.refused:
            problem = violation(
                "P11", row=line, cells=spreadsheet.cells_named(row.refused), how=spreadsheet.TEXT_FORMAT_HOW
            )
        yield SourceRow(line, cells, 0, problem)


def original_lines(path: Path, fmt: str, encoding: str, wanted: set[int]) -> Iterator[tuple[int, list[str]]]:
    """The cells of the wanted lines as the file has them (undecodable bytes
    replaced; a number as Excel shows it; an escaped formula unescaped, as
    the import read it), for the rejected-rows file, which escapes again."""
    if fmt == "xlsx":
        for row in _xlsx_rows(path, 1, False, ()):
            if row.line in wanted:
                yield row.line, row.cells
        return
    with open(path, "rb") as fh:
        delimiter = _delimiter(fh.readline().decode(encoding, errors="replace"))
        for line, raw in enumerate(fh, start=2):
            if line not in wanted:
                continue
            text = raw.decode(encoding, errors="replace").rstrip("\r\n")
            try:
                cells = next(csv.reader([text], delimiter=delimiter))
            except (csv.Error, StopIteration):
                cells = [text]
            yield line, [spreadsheet.unescape(c) for c in cells]
