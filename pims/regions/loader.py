"""Reading and validating region files (no database access).

A region file is UTF-8 CSV (a BOM is accepted) with the header
``code,name,level,parent_code`` and codes in the source's short form
(2/4/6/9/12 digits). `parse_region_file` checks everything that can be checked
from the file alone and raises `RegionFileError` naming the file, the line and
the problem; the checks that need the database (does the parent exist?) are
made by `pims.regions.services.regions_load` inside its transaction.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _

from pims.lib.errors import FileRefused

from .models import LEVEL_DIGITS, LEVEL_ORDER, Level

DATA_DIR = Path(__file__).resolve().parent / "data"
COUNTIES_FILE = DATA_DIR / "china_counties.csv"
# Townships and villages of every county of Liaoning; `load_regions --county`
# takes one county's rows from it (or from another province's file of the
# same source and layout, --villages-file).
VILLAGES_FILE = DATA_DIR / "liaoning_townships_villages.csv"
DEFAULT_COUNTY = "210124"  # 法库县: the demo county, and the default of load_regions
# The bundled data is the NBS 2023 vintage (cut-off date 2023-06-30, see data/SOURCE.md).
DATA_VINTAGE = date(2023, 6, 30)

HEADER = ["code", "name", "level", "parent_code"]
CODE_LENGTH = 12
DIGITS_LEVEL = {digits: level for level, digits in LEVEL_DIGITS.items()}


class RegionFileError(FileRefused):
    """A problem in a region file; `str()` names the file and the line."""


def normalise(short_code: str) -> str:
    """'210124' -> '210124000000': the 12-digit statistical code."""
    return short_code.ljust(CODE_LENGTH, "0")


def parent_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


@dataclass
class RegionRow:
    line: int
    short_code: str
    name: str
    level: str
    short_parent: str | None

    @property
    def code(self) -> str:
        return normalise(self.short_code)

    @property
    def parent_code(self) -> str | None:
        return normalise(self.short_parent) if self.short_parent else None


@dataclass
class RegionFile:
    path: Path
    rows: list[RegionRow] = field(default_factory=list)
    # Pseudo rows whose 12-digit code equals their parent's (see _is_placeholder).
    skipped: list[RegionRow] = field(default_factory=list)
    # Only these counties' rows were read (a province's township/village file).
    counties: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.path.name}[{','.join(self.counties)}]" if self.counties else self.path.name

    def error(self, line: int | None, problem: str) -> RegionFileError:
        return RegionFileError(self.name, line, problem)


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RegionFileError(path.name, line, _("文件不是 UTF-8 编码")) from None


def _check_code(file: RegionFile, line: int, code: str, what: str) -> None:
    if not code.isascii() or not code.isdigit() or len(code) not in DIGITS_LEVEL:
        raise file.error(line, _("%(what)s“%(code)s”须为 2、4、6、9 或 12 位数字") % {"what": what, "code": code})


def _parse_row(file: RegionFile, line: int, values: list[str]) -> RegionRow:
    if len(values) != len(HEADER):
        raise file.error(line, _("应有 %(n)s 列，实际 %(m)s 列") % {"n": len(HEADER), "m": len(values)})
    code, name, level, parent = (v.strip() for v in values)
    _check_code(file, line, code, _("区划代码"))
    if not name:
        raise file.error(line, _("名称为空"))
    if level not in Level.values:
        raise file.error(line, _("未知级别“%(level)s”") % {"level": level})
    if LEVEL_DIGITS[level] != len(code):
        raise file.error(
            line,
            _("级别 %(level)s 的代码应为 %(n)s 位，实际 %(m)s 位")
            % {"level": level, "n": LEVEL_DIGITS[level], "m": len(code)},
        )
    up = parent_level(level)
    if up is None:
        if parent:
            raise file.error(line, _("省级区划不应有上级代码"))
        return RegionRow(line, code, name, level, None)
    _check_code(file, line, parent or "", _("上级代码"))
    if len(parent) != LEVEL_DIGITS[up] or not code.startswith(parent):
        raise file.error(
            line,
            _("上级代码 %(parent)s 不是 %(code)s 的上一级（须为其前 %(n)s 位）")
            % {"parent": parent, "code": code, "n": LEVEL_DIGITS[up]},
        )
    return RegionRow(line, code, name, level, parent)


def _is_placeholder(row: RegionRow) -> bool:
    """True for a row whose own code segment is all zeros, e.g. county 441900
    东莞市 under city 4419: the source lists prefecture cities without counties
    once more as a pseudo-county. Padded to 12 digits it is the *same code* as
    its parent, so it cannot be a separate region; we skip it (and count it as
    skipped) and the city itself stands for it. 620201 嘉峪关市 has a non-zero
    segment, does not collide and is loaded as an ordinary county."""
    return bool(row.short_parent and set(row.short_code[len(row.short_parent) :]) == {"0"})


def _check_county_code(file: RegionFile, county: str) -> None:
    if not (county.isascii() and county.isdigit() and len(county) == LEVEL_DIGITS[Level.COUNTY]):
        raise file.error(None, _("县级区划代码“%(code)s”须为 6 位数字，例如 210124") % {"code": county})


def _wanted(counties: tuple[str, ...], values: list[str]) -> bool:
    code = values[0].strip() if values else ""
    return not counties or any(code.startswith(c) and len(code) > len(c) for c in counties)


def parse_region_file(path: Path, *, counties: tuple[str, ...] = ()) -> RegionFile:
    """Read and check a whole region file; raise RegionFileError on the first problem.

    With `counties` (6-digit codes) only the rows below those counties are
    read — the townships and villages of a province's file — and each county
    must have rows in it."""
    path = Path(path)
    file = RegionFile(path=path, counties=tuple(counties))
    for county in file.counties:
        _check_county_code(file, county)
    if not path.is_file():
        raise file.error(None, _("文件不存在"))
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    header = [h.strip() for h in next(reader, [])]
    if header != HEADER:
        raise file.error(
            1, _("表头应为 %(want)s，实际为 %(got)s") % {"want": ",".join(HEADER), "got": ",".join(header)}
        )
    seen: dict[str, int] = {}
    placeholders: set[str] = set()
    for values in reader:
        if not any(v.strip() for v in values) or not _wanted(file.counties, values):
            continue
        row = _parse_row(file, reader.line_num, values)
        if row.short_code in seen:
            raise file.error(
                row.line,
                _("代码 %(code)s 与第 %(line)s 行重复") % {"code": row.short_code, "line": seen[row.short_code]},
            )
        seen[row.short_code] = row.line
        if row.short_parent in placeholders:
            raise file.error(
                row.line, _("上级 %(p)s 是与其上级同码的占位行（已跳过），不能作为上级") % {"p": row.short_parent}
            )
        if _is_placeholder(row):
            placeholders.add(row.short_code)
        (file.skipped if _is_placeholder(row) else file.rows).append(row)
    for county in file.counties:
        if not any(row.short_code.startswith(county) for row in file.rows):
            raise file.error(
                None,
                _("文件中没有县级区划 %(code)s 的乡镇和村（其他省的县请用 --villages-file 指定该省的文件）")
                % {"code": county},
            )
    if not file.rows:
        raise file.error(None, _("文件没有数据行"))
    return file


def bundled_files(
    counties: tuple[str, ...] = (DEFAULT_COUNTY,), villages_file: Path = VILLAGES_FILE
) -> list[RegionFile]:
    """The national county list, then the townships and villages of `counties`."""
    return [parse_region_file(COUNTIES_FILE), parse_region_file(villages_file, counties=tuple(counties))]
