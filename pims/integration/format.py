"""The police household-registry extract (公安户籍信息资料) as files come.

One row per person. The canonical header set below is what the generator
writes and what `import_police` reads without a mapping file; another header
set is mapped onto it with a JSON file ``{"their header": "canonical header
or field key", ...}`` (docs/police-import.md).

Values may be codes, the code manual's names or its aliases (性别 "男", "男性"
or "1", 民族 "汉族", "汉" or "01", 与户主关系 "户主" or "02" …): `Normaliser`
turns them into codes before the input rules judge them, and leaves anything it does not
recognise as typed so that the rule reports it (nothing is coerced silently).
"""

import datetime as dt
import re
from dataclasses import dataclass

from pims.codes.selectors import code_text_map
from pims.lib.errors import Invalid


@dataclass(frozen=True)
class Column:
    key: str  # field key used by the register's input rules
    header: str  # canonical Chinese header
    required: bool = False  # the column must be present (its value may still be empty, e.g. an ID)
    aliases: tuple[str, ...] = ()
    # An identifier (ID, phone, household or certificate number): a numeric
    # spreadsheet cell is refused, never turned into digits (pims.lib.spreadsheet).
    text_only: bool = False


COLUMNS = [
    Column("citizen_id", "公民身份号码", True, ("身份证号", "身份证号码", "公民身份证号码"), text_only=True),
    Column("name", "姓名", True),
    Column("sex", "性别", True),
    Column("ethnicity", "民族", True),
    Column("birth_date", "出生日期", True),
    Column("number", "户号", True, ("户编号",), text_only=True),
    Column("relationship", "与户主关系", True),
    Column("address", "户籍地址", True, ("住址", "户籍详址")),
    Column("hukou_type", "户口类别", True, ("户口性质",)),
    Column("marital_status", "婚姻状况", True),
    Column("education", "文化程度", False, ("学历",)),
    Column("occupation", "职业", False),
    Column("village_code", "村(居)委会代码", False, ("村（居）委会代码", "村居委会代码", "村级区划代码")),
    Column("hh_type", "户别", False, ("户类型",)),
    Column("no_id_reason", "无身份号码原因", False, ("无号原因",)),
    Column("registered_code", "户籍地区划代码", False),
    Column("residence_code", "现居住地区划代码", False, ("现住地区划代码",)),
    Column("residence_status", "人户状态", False, ("人户状况",)),
    Column("phone", "联系电话", False, ("电话",), text_only=True),
    Column("spouse_id", "配偶公民身份号码", False, text_only=True),
    Column("mother_id", "母亲公民身份号码", False, text_only=True),
    Column("father_id", "父亲公民身份号码", False, text_only=True),
]
BY_KEY = {c.key: c for c in COLUMNS}
TEXT_ONLY_KEYS = frozenset(c.key for c in COLUMNS if c.text_only)
HEADERS = [c.header for c in COLUMNS]
REQUIRED = [c for c in COLUMNS if c.required]
# How a header names its column: canonical header, an alias, or the field key itself.
_HEADER_TO_KEY = {name: c.key for c in COLUMNS for name in (c.header, c.key, *c.aliases)}


def _clean_header(text) -> str:
    return re.sub(r"\s+", "", str(text or "")).replace("（", "(").replace("）", ")")


class MappingError(Invalid, ValueError):
    """The file's headers do not fit the mapping (message for the clerk)."""


def resolve_headers(headers: list, mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Field key → column index. `mapping` names other headers ({file header:
    canonical header or key}). Raises MappingError naming the missing
    required columns or a header used twice."""
    lookup = {_clean_header(k): v for k, v in _HEADER_TO_KEY.items()}
    for theirs, ours in (mapping or {}).items():
        target = lookup.get(_clean_header(ours))
        if target is None:
            raise MappingError(f"映射文件中的“{ours}”不是已知的列名（可用：{'、'.join(HEADERS)}）")
        lookup[_clean_header(theirs)] = target
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = lookup.get(_clean_header(h))
        if key is None:
            continue
        if key in found:
            raise MappingError(f"第 {found[key] + 1} 列和第 {i + 1} 列都对应“{BY_KEY[key].header}”")
        found[key] = i
    missing = [c.header for c in REQUIRED if c.key not in found]
    if missing:
        raise MappingError(f"缺少必需的列：{'、'.join(missing)}")
    return found


DATE_RE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")


def normalise_date(value) -> str:
    """ISO text for the date forms an extract uses (2001-02-03, 20010203,
    2001/2/3, 2001.02.03, 2001年2月3日, a spreadsheet date); anything else
    is returned as typed so the date rule reports it."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    m = DATE_RE.match(text)
    if not m:
        return text
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return text


def text_only_columns(columns: dict[str, int]) -> frozenset[int]:
    """The indexes of the identifier columns among the resolved ones."""
    return frozenset(i for key, i in columns.items() if key in TEXT_ONLY_KEYS)


class Normaliser:
    """Codes, names and the code manual's aliases → codes, per the current
    code tables (read once; `pims.codes.selectors.code_text_map`)."""

    TABLES = {
        "sex": "sex",
        "ethnicity": "ethnicity",
        "relationship": "family_relationship",
        "marital_status": "marital_status",
        "education": "education",
        "occupation": "occupation",
        "hukou_type": "household_registration_type",
        "no_id_reason": "no_id_reason",
        "hh_type": "household_type",
        "residence_status": "residence_status",
    }

    def __init__(self):
        self.by_name: dict[str, dict[str, str]] = {key: code_text_map(table) for key, table in self.TABLES.items()}
        # Two-digit codes typed as numbers in a spreadsheet lose their zero.
        self.pad = {"ethnicity": 2, "relationship": 2, "marital_status": 2, "education": 2, "no_id_reason": 0}

    def code(self, key: str, value: str) -> str:
        if not value:
            return value
        code = self.by_name.get(key, {}).get(value)
        if code is not None:
            return code
        width = self.pad.get(key, 0)
        if width and value.isdigit() and len(value) < width:
            return value.zfill(width)
        return value
