"""Input rules: one raw value (or one form) as typed, before anything is stored.

Forms, the API and importers call `validate_household_input` so that a value
is judged by the same rule, with the same id and message, on every path.
"""

import datetime as dt
import re

from pims.codes.selectors import code_map
from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.lib.text import is_ascii_digits
from pims.regions.models import Level, Region

from .base import Rule, Severity, register, violation
from .limits import SEX_LABEL

# What a lookup of an ID answers when the household holding it lies outside
# the user's jurisdiction (I29): the user is told nothing more.
OUTSIDE_SCOPE = "本辖区以外"

E, W = Severity.ERROR, Severity.WARNING

for _rule in [
    Rule("I01", "姓名必填", E, "name", "第 {row} 行：姓名不能为空", category="input"),
    Rule("I02", "姓名格式", E, "name", "第 {row} 行：姓名“{value}”含有数字或非法字符", category="input"),
    Rule("I03", "身份号码校验", E, "citizen_id", "第 {row} 行：公民身份号码无效——{reason}", category="input"),
    Rule(
        "I04", "身份号码或无号原因", E, "citizen_id", "第 {row} 行：无公民身份号码时必须填写无号原因", category="input"
    ),
    Rule("I05", "无号原因代码", E, "no_id_reason", "第 {row} 行：无号原因代码“{value}”不在代码表中", category="input"),
    Rule(
        "I06",
        "身份号码与性别一致",
        E,
        "sex",
        "第 {row} 行：性别与公民身份号码第 17 位不符（号码表示{expected}）",
        category="input",
    ),
    Rule(
        "I07",
        "身份号码与出生日期一致",
        E,
        "birth_date",
        "第 {row} 行：出生日期与公民身份号码不符（号码表示 {expected}）",
        category="input",
    ),
    Rule("I08", "表内身份号码重复", E, "citizen_id", "第 {row} 行：公民身份号码与第 {other} 行重复", category="input"),
    Rule(
        "I09",
        "身份号码全库唯一",
        E,
        "citizen_id",
        "第 {row} 行：公民身份号码已登记在其他户（{where}），同一人不能在两户中登记",
        category="input",
    ),
    # I09 when the other household is in the user's jurisdiction; outside it the
    # user may not learn whether or where the ID is registered (issue 14.9): I29
    # says only that it cannot be registered here, and the probe is audited.
    Rule(
        "I29",
        "身份号码不能在本辖区登记",
        E,
        "citizen_id",
        "第 {row} 行：此身份证号不能在本辖区登记，请联系县级管理员",
        category="input",
    ),
    Rule("I10", "性别代码", E, "sex", "第 {row} 行：性别代码“{value}”无效（1 男，2 女）", category="input"),
    Rule(
        "I11",
        "出生日期格式",
        E,
        "birth_date",
        "第 {row} 行：出生日期“{value}”不是有效日期（格式 YYYY-MM-DD）",
        category="input",
    ),
    Rule("I12", "出生日期不晚于今天", E, "birth_date", "第 {row} 行：出生日期 {value} 晚于今天", category="input"),
    Rule("I13", "民族代码", E, "ethnicity", "第 {row} 行：民族代码“{value}”不在 GB 3304 代码表中", category="input"),
    Rule(
        "I14",
        "与户主关系代码",
        E,
        "relationship",
        "第 {row} 行：与户主关系代码“{value}”不在 GB/T 4761 代码表中",
        category="input",
    ),
    Rule(
        "I15",
        "婚姻状况代码",
        E,
        "marital_status",
        "第 {row} 行：婚姻状况代码“{value}”不在 GB/T 2261.2 代码表中",
        category="input",
    ),
    Rule(
        "I16",
        "文化程度代码",
        E,
        "education",
        "第 {row} 行：文化程度代码“{value}”不在 GB/T 4658 代码表中",
        category="input",
    ),
    Rule("I17", "职业代码", E, "occupation", "第 {row} 行：职业代码“{value}”不在代码表中", category="input"),
    Rule("I18", "户口类别代码", E, "hukou_type", "第 {row} 行：户口类别代码“{value}”不在代码表中", category="input"),
    Rule("I19", "人户状态代码", E, "residence_status", "第 {row} 行：人户状态代码“{value}”无效", category="input"),
    Rule(
        "I20", "区划代码", E, "registered_code", "第 {row} 行：{label}“{value}”不是有效的村级区划代码", category="input"
    ),
    Rule(
        "I21",
        "联系电话格式",
        W,
        "phone",
        "第 {row} 行：联系电话“{value}”不是 11 位手机号或带区号的固定电话",
        category="input",
    ),
    Rule(
        "I22", "行号引用", E, "spouse_row", "第 {row} 行：{label}填写的行号 {value} 不存在或指向本人", category="input"
    ),
    Rule("I23", "孩次", E, "birth_order", "第 {row} 行：孩次“{value}”应为 1–15 的整数", category="input"),
    Rule(
        "I24",
        "节育措施代码",
        E,
        "contraceptive_method",
        "第 {row} 行：节育措施代码“{value}”不在代码表中",
        category="input",
    ),
    Rule(
        "I25", "日期格式", E, "marriage_date", "第 {row} 行：{label}“{value}”不是有效日期或晚于今天", category="input"
    ),
    Rule("I26", "必填项", E, "ethnicity", "第 {row} 行：{label}为必填项", category="input"),
    Rule(
        "H01",
        "户编号",
        E,
        "number",
        "户编号不能为空，且只能由数字和字母组成（最多 20 位）",
        category="input",
        level="household",
    ),
    Rule(
        "H02", "户类型", E, "hh_type", "户类型“{value}”无效（1 家庭户，2 集体户）", category="input", level="household"
    ),
    Rule("H03", "住址必填", E, "address", "住址不能为空", category="input", level="household"),
    Rule("H04", "户编号村内唯一", E, "number", "户编号 {value} 在本村已被使用", category="input", level="household"),
    Rule("H05", "至少一名成员", E, "", "采集表至少要有一名成员", category="input", level="household"),
    Rule(
        "H06",
        "采集日期",
        E,
        "collected_on",
        "采集日期“{value}”不是有效日期或晚于今天",
        category="input",
        level="household",
    ),
    Rule("I27", "不可见字符", E, "name", "第 {row} 行：{label}含有不可见的控制字符，请重新输入", category="input"),
    Rule("I28", "长度超限", E, "name", "第 {row} 行：{label}超过 {limit} 个字符", category="input"),
    Rule(
        "H07",
        "不可见字符",
        E,
        "address",
        "{label}含有不可见的控制字符，请重新输入",
        category="input",
        level="household",
    ),
    Rule("H08", "长度超限", E, "address", "{label}超过 {limit} 个字符", category="input", level="household"),
]:
    register(_rule)

# Column headings of the member table, as on the paper form.
MEMBER_LABELS = {
    "name": "姓名",
    "citizen_id": "公民身份号码",
    "no_id_reason": "无号原因",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "relationship": "与户主关系",
    "marital_status": "婚姻状况",
    "education": "文化程度",
    "occupation": "职业",
    "hukou_type": "户口类别",
    "registered_code": "户籍地区划",
    "residence_code": "现居住地区划",
    "residence_status": "人户状态",
    "phone": "联系电话",
    "spouse_row": "配偶行号",
    "marriage_date": "结婚日期",
    "mother_row": "母亲行号",
    "father_row": "父亲行号",
    "birth_order": "孩次",
    "birth_cert_no": "出生医学证明编号",
    "contraceptive_method": "节育措施",
    "contraception_start": "避孕开始日期",
    "pregnant_since": "怀孕日期",
}
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Free-text columns and their sizes (other columns are codes, dates or row
# numbers, each refused by its own rule when malformed).
MEMBER_TEXT_LIMITS = {"name": 50, "phone": 20, "birth_cert_no": 20, "citizen_id": 40}
HOUSEHOLD_TEXT_LIMITS = {"address": 200, "form_number": 30, "volume_number": 30}
HOUSEHOLD_LABELS = {
    "number": "户编号",
    "address": "住址",
    "form_number": "采集表编号",
    "volume_number": "装订册号",
    "hh_type": "户类型",
    "collected_on": "采集日期",
}

NAME_RE = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z\s]{1,50}$")
HH_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{1,20}$")
MOBILE_RE = re.compile(r"^1\d{10}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


class CodeBook:
    """Current code tables, read once per validation run."""

    TABLES = {
        "sex": "sex",
        "ethnicity": "ethnicity",
        "relationship": "family_relationship",
        "marital_status": "marital_status",
        "education": "education",
        "occupation": "occupation",
        "hukou_type": "household_registration_type",
        "no_id_reason": "no_id_reason",
        "contraceptive_method": "contraceptive_method",
    }

    def __init__(self):
        self._maps = {f: set(code_map(table)) for f, table in self.TABLES.items()}

    def valid(self, field: str, value: str) -> bool:
        return value in self._maps[field]


def validate_household_input(
    data: dict,
    members: list[dict],
    *,
    codes: CodeBook | None = None,
    lookup_id=None,
):
    """Validate a whole form as typed. Returns (violations, cleaned) where
    `cleaned` holds parsed values per member (dates, normalised ID numbers).

    `lookup_id(number) -> str | None` says where else an ID is registered
    (None: nowhere else); the registry service provides it.
    """
    codes = codes or CodeBook()
    out = []
    out += _household_fields(data)
    if not members:
        out.append(violation("H05"))
    cleaned = []
    seen_ids: dict[str, int] = {}
    rows = {m.get("row") for m in members}
    for m in members:
        row = m["row"]
        v, c = _member(m, codes=codes, rows=rows)
        out += v
        number = c.get("citizen_id")
        if number:
            if number in seen_ids:
                out.append(violation("I08", row=row, other=seen_ids[number]))
            else:
                seen_ids[number] = row
                where = lookup_id(number) if lookup_id else None
                if where == OUTSIDE_SCOPE:
                    out.append(violation("I29", row=row))
                elif where:
                    out.append(violation("I09", row=row, where=where))
        cleaned.append(c)
    return out, cleaned


def _text_problems(values: dict, limits: dict, labels: dict, *, control_rule, length_rule, row=None) -> list:
    """Control characters anywhere, and free text longer than its column."""
    out = []
    for f, value in values.items():
        text = "" if value is None else str(value)
        if CONTROL_RE.search(text):
            out.append(violation(control_rule, row=row, field=f, label=labels.get(f, f)))
        elif f in limits and len(text.strip()) > limits[f]:
            out.append(violation(length_rule, row=row, field=f, label=labels.get(f, f), limit=limits[f]))
    return out


def _household_fields(data: dict) -> list:
    out = _text_problems(data, HOUSEHOLD_TEXT_LIMITS, HOUSEHOLD_LABELS, control_rule="H07", length_rule="H08")
    number = (data.get("number") or "").strip()
    if not HH_NUMBER_RE.match(number):
        out.append(violation("H01"))
    hh_type = (data.get("hh_type") or "").strip()
    if hh_type not in {"1", "2"}:
        out.append(violation("H02", value=hh_type))
    if not (data.get("address") or "").strip():
        out.append(violation("H03"))
    collected = (data.get("collected_on") or "").strip()
    if collected:
        d = parse_date(collected)
        if d is None or d > clock.today():
            out.append(violation("H06", value=collected))
    return out


def _member(m: dict, *, codes: CodeBook, rows: set) -> tuple[list, dict]:
    row = m["row"]
    out, c = [], {"row": row}
    text = {k: (str(v).strip() if v is not None else "") for k, v in m.items() if k != "row"}
    problems = _text_problems(text, MEMBER_TEXT_LIMITS, MEMBER_LABELS, control_rule="I27", length_rule="I28", row=row)
    if problems:
        # Unsafe to read further: report these and keep the row out of the register preview.
        return problems, {"row": row}
    name = text.get("name", "")
    if not name:
        out.append(violation("I01", row=row))
    elif not NAME_RE.match(name):
        out.append(violation("I02", row=row, value=name))
    c["name"] = name

    out += _sex_and_birth(text, row, c)
    out += _citizen_id(text, row, c, codes)
    out += _codes(text, row, c, codes)
    out += _regions(text, row, c)
    out += _refs_and_dates(text, row, c, codes, rows)
    phone = re.sub(r"\s", "", text.get("phone", ""))
    if phone and not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        out.append(violation("I21", row=row, value=phone))
    c["phone"] = phone
    return out, c


def _sex_and_birth(text, row, c) -> list:
    out = []
    sex = text.get("sex", "")
    if sex not in SEX_LABEL:
        out.append(violation("I10", row=row, value=sex))
    c["sex"] = sex
    birth_raw = text.get("birth_date", "")
    birth = parse_date(birth_raw)
    if birth is None:
        out.append(violation("I11", row=row, value=birth_raw))
    elif birth > clock.today():
        out.append(violation("I12", row=row, value=birth_raw))
    c["birth_date"] = birth
    return out


def _citizen_id(text, row, c, codes) -> list:
    out = []
    raw = text.get("citizen_id", "")
    reason = text.get("no_id_reason", "")
    c["citizen_id"], c["no_id_reason"] = "", reason
    if not raw:
        if not reason:
            out.append(violation("I04", row=row))
        elif not codes.valid("no_id_reason", reason):
            out.append(violation("I05", row=row, value=reason))
        return out
    try:
        parsed = cid.parse(raw)
    except cid.CitizenIdError as exc:
        return [violation("I03", row=row, reason=str(exc))]
    c["citizen_id"], c["no_id_reason"] = parsed.number, ""
    c["id_sex"], c["id_birth_date"] = parsed.sex, parsed.birth_date
    if c.get("sex") in SEX_LABEL and parsed.sex != c["sex"]:
        out.append(violation("I06", row=row, expected=SEX_LABEL[parsed.sex]))
    if c.get("birth_date") and parsed.birth_date != c["birth_date"]:
        out.append(violation("I07", row=row, expected=parsed.birth_date.isoformat()))
    return out


REQUIRED_CODES = {"ethnicity": "I13", "relationship": "I14", "marital_status": "I15", "hukou_type": "I18"}
OPTIONAL_CODES = {"education": "I16", "occupation": "I17", "contraceptive_method": "I24"}
FIELD_LABELS = {
    "ethnicity": "民族",
    "relationship": "与户主关系",
    "marital_status": "婚姻状况",
    "hukou_type": "户口类别",
    "registered_code": "户籍地区划",
    "residence_code": "现居住地区划",
    "spouse_row": "配偶行号",
    "mother_row": "母亲行号",
    "father_row": "父亲行号",
    "marriage_date": "结婚日期",
    "contraception_start": "避孕开始日期",
    "pregnant_since": "怀孕日期",
}


def _codes(text, row, c, codes) -> list:
    out = []
    for f, rule_id in REQUIRED_CODES.items():
        value = text.get(f, "")
        if not value:
            out.append(violation("I26", row=row, field=f, label=FIELD_LABELS[f]))
        elif not codes.valid(f, value):
            out.append(violation(rule_id, row=row, value=value))
        c[f] = value
    for f, rule_id in OPTIONAL_CODES.items():
        value = text.get(f, "")
        if value and not codes.valid(f, value):
            out.append(violation(rule_id, row=row, value=value))
        c[f] = value
    status = text.get("residence_status", "") or "1"
    if status not in {"1", "2", "3"}:
        out.append(violation("I19", row=row, value=status))
    c["residence_status"] = status
    return out


def _regions(text, row, c) -> list:
    out = []
    for f in ("registered_code", "residence_code"):
        value = text.get(f, "")
        c[f] = value
        if value and not (
            is_ascii_digits(value)
            and len(value) == 12
            and Region.objects.filter(code=value, level=Level.VILLAGE).exists()
        ):
            out.append(violation("I20", row=row, field=f, label=FIELD_LABELS[f], value=value))
    return out


def _refs_and_dates(text, row, c, codes, rows) -> list:
    out = []
    for f in ("spouse_row", "mother_row", "father_row"):
        value = text.get(f, "")
        c[f] = None
        if not value:
            continue
        ref = int(value) if is_ascii_digits(value) else None
        if ref is None or ref == row or ref not in rows:
            out.append(violation("I22", row=row, field=f, label=FIELD_LABELS[f], value=value))
        else:
            c[f] = ref
    order = text.get("birth_order", "")
    c["birth_order"] = None
    if order:
        if is_ascii_digits(order) and 1 <= int(order) <= 15:
            c["birth_order"] = int(order)
        else:
            out.append(violation("I23", row=row, value=order))
    c["birth_cert_no"] = text.get("birth_cert_no", "")
    for f in ("marriage_date", "contraception_start", "pregnant_since"):
        value = text.get(f, "")
        c[f] = None
        if not value:
            continue
        d = parse_date(value)
        if d is None or d > clock.today():
            out.append(violation("I25", row=row, field=f, label=FIELD_LABELS[f], value=value))
        else:
            c[f] = d
    return out
