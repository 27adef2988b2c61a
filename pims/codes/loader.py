"""Reading and validating code-table files (no database access).

A code file is UTF-8 CSV (a BOM is accepted) with at least the columns
``code,name_zh,name_en``; further columns (e.g. ``letter_code``) become each
code's `extra` attributes. The column ``aliases`` holds other names the code
is known by, separated by ``|`` (民族 "汉" for 汉族, 性别 "男性" for 男): every
input path accepts them as it accepts the name (`pims.codes.selectors.code_for_text`),
so an alias may not be another code's code, name or alias. The manifest `data/tables.csv` names every table
that `manage.py load_codes` loads. The same parser reads the text typed into
the online editor, so both paths accept and refuse the same things.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from pims.lib.errors import FileRefused

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST = DATA_DIR / "tables.csv"
REQUIRED_COLUMNS = ["code", "name_zh", "name_en"]
ALIASES = "aliases"
ALIAS_SEPARATOR = "|"
MANIFEST_COLUMNS = ["key", "name_zh", "standard", "file", "source"]
CODE_MAX, NAME_MAX, INITIALS_MAX = 20, 100, 40


class CodeFileError(FileRefused):
    """A problem in a code file; `str()` names the file and the line."""


@dataclass(frozen=True)
class CodeRow:
    code: str
    name: str
    name_en: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TableSpec:
    key: str
    name: str
    standard: str
    file: Path
    source: str


def pinyin_initials(name: str) -> str:
    """'汉族' -> 'hz': lowercase pinyin initials, other letters and digits kept."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())[:INITIALS_MAX]


def rows_checksum(rows: list[CodeRow]) -> str:
    """A checksum of the content (order included), independent of file encoding and line endings."""
    payload = [[r.code, r.name, r.name_en, r.extra] for r in rows]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def read_utf8(path: Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise CodeFileError(path.name, None, _("文件不存在"))
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodeFileError(path.name, raw[: exc.start].count(b"\n") + 1, _("文件不是 UTF-8 编码")) from None


def _header(reader, name: str, required: list[str]) -> list[str]:
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise CodeFileError(name, 1, _("缺少列：%(cols)s") % {"cols": ", ".join(missing)})
    if len(set(header)) != len(header):
        raise CodeFileError(name, 1, _("表头有重复的列名"))
    return header


def _row(name: str, line: int, header: list[str], values: list[str]) -> CodeRow:
    if len(values) != len(header):
        raise CodeFileError(name, line, _("应有 %(n)s 列，实际 %(m)s 列") % {"n": len(header), "m": len(values)})
    record = {key: value.strip() for key, value in zip(header, values, strict=True)}
    code, label = record.pop("code"), record.pop("name_zh")
    if not code:
        raise CodeFileError(name, line, _("代码为空"))
    if len(code) > CODE_MAX or any(ch.isspace() or ch == "," for ch in code):
        raise CodeFileError(name, line, _("代码“%(code)s”过长或含空白") % {"code": code})
    if not label:
        raise CodeFileError(name, line, _("名称为空"))
    if len(label) > NAME_MAX:
        raise CodeFileError(name, line, _("名称超过 %(n)s 个字") % {"n": NAME_MAX})
    name_en = record.pop("name_en")
    return CodeRow(code=code, name=label, name_en=name_en, extra={k: v for k, v in record.items() if v})


def parse_code_text(text: str, name: str) -> list[CodeRow]:
    """Parse and check a whole code table; raise CodeFileError on the first problem."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = _header(reader, name, REQUIRED_COLUMNS)
    rows: list[CodeRow] = []
    seen: dict[str, int] = {}
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = _row(name, reader.line_num, header, values)
        if row.code in seen:
            raise CodeFileError(
                name,
                reader.line_num,
                _("代码 %(code)s 与第 %(line)s 行重复") % {"code": row.code, "line": seen[row.code]},
            )
        seen[row.code] = reader.line_num
        rows.append(row)
    if not rows:
        raise CodeFileError(name, None, _("没有代码行"))
    check_aliases(rows, name)
    return rows


def row_aliases(row: CodeRow) -> list[str]:
    """The other names of a code (the `aliases` extra column, `|`-separated)."""
    return [a.strip() for a in str(row.extra.get(ALIASES, "")).split(ALIAS_SEPARATOR) if a.strip()]


def check_aliases(rows: list[CodeRow], name: str) -> None:
    """An alias must name one code only: not another code's code or name,
    nor an alias of another code (else "汉" could mean two things)."""
    owner: dict[str, str] = {}
    for row in rows:
        owner.setdefault(row.code, row.code)
        owner.setdefault(row.name, row.code)
    for number, row in enumerate(rows, start=1):
        for alias in row_aliases(row):
            other = owner.setdefault(alias, row.code)
            if other != row.code:
                raise CodeFileError(
                    name,
                    number + 1,
                    _("别名“%(alias)s”已是代码 %(other)s 的代码、名称或别名") % {"alias": alias, "other": other},
                )


def parse_code_file(path: Path) -> list[CodeRow]:
    return parse_code_text(read_utf8(path), Path(path).name)


def check_rows(rows: list[CodeRow], name: str) -> None:
    """The parser's row rules, for rows built in code rather than parsed."""
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not row.code or not row.name:
            raise CodeFileError(name, number, _("代码或名称为空"))
        if row.code in seen:
            raise CodeFileError(name, number, _("代码 %(code)s 重复") % {"code": row.code})
        seen.add(row.code)
    if not rows:
        raise CodeFileError(name, None, _("没有代码行"))
    check_aliases(rows, name)


def load_manifest(path: Path = MANIFEST) -> list[TableSpec]:
    name = Path(path).name
    reader = csv.DictReader(io.StringIO(read_utf8(path), newline=""))
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in MANIFEST_COLUMNS):
        raise CodeFileError(name, 1, _("缺少列：%(cols)s") % {"cols": ", ".join(MANIFEST_COLUMNS)})
    specs = []
    for record in reader:
        if not record["key"] or not record["file"]:
            raise CodeFileError(name, reader.line_num, _("标识或文件为空"))
        specs.append(
            TableSpec(
                key=record["key"].strip(),
                name=record["name_zh"].strip(),
                standard=record["standard"].strip(),
                file=Path(path).parent / record["file"].strip(),
                source=record["source"].strip(),
            )
        )
    return specs
