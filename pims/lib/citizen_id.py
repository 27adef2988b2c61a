"""Citizen identity numbers (公民身份号码, GB 11643-1999).

Validation uses python-stdnum's `cn.ric` check digit and its table of
historical county codes (`numdb cn/loc`); see `region_known` for where the
library's own rule did not fit the domain. This module adds what clerks'
input needs: normalising full-width digits, spaces and a lowercase ``x``;
upgrading legacy 15-digit numbers; and reading sex and birth date back out so
that they can be compared with what was entered.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

from pims.lib import clock

from .errors import Invalid
from .text import is_ascii_digits

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class CitizenIdError(Invalid, ValueError):
    """`code` is a stable reason key; `str(exc)` is the Chinese message."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class CitizenId:
    number: str  # 18 characters, upper-case X
    birth_date: dt.date
    sex: str  # GB/T 2261.1: "1" male, "2" female
    region_prefix: str  # first 6 digits: address code of first registration

    @property
    def masked(self) -> str:
        return mask_citizen_id(self.number)


def normalise(raw: str) -> str:
    """Full-width → half-width (NFKC), drop spaces and hyphens, upper-case X."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(number15: str) -> str:
    """Legacy 15-digit numbers (before 1999) omit the century and the check
    digit: insert "19" before the two-digit year and append the check digit."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def region_known(number: str, birth_year: int) -> bool:
    return _county_code_in_force(number[:6], birth_year)


@lru_cache(maxsize=65_536)
def _county_code_in_force(prefix: str, birth_year: int) -> bool:
    """Whether the 6-digit address code is a real county code for this person.

    python-stdnum's `cn.ric.validate` demands that the county existed in the
    *birth* year, but the address code is the one in force when the number
    was first issued — at or after birth (法库县 got 210124 in 1992; people
    born earlier and registered there later carry it). So a code is accepted
    if it was in force at any time from the birth year on.
    """
    # python-stdnum's table lookup costs ~0.5 ms; the answer depends only on
    # the six digits and the year, hence the cache (bulk imports call it a lot).
    results = numdb.get("cn/loc").info(prefix)
    info = {k: v for _, props in results for k, v in props.items()}
    if "county" not in info:
        # Known only at province/prefecture level: accept if the prefix exists at all.
        return len(results) > 1 and bool(results[1][1])
    for entry in info["county"].split(","):
        if not entry.startswith("["):
            return True
        span = entry[1:].split("]")[0]
        _, end = span.split("-")
        if not end or int(end) >= birth_year:
            return True
    return False


def parse(raw: str) -> CitizenId:
    number = normalise(raw)
    if not number:
        raise CitizenIdError("empty", "公民身份号码为空")
    if len(number) == 15:
        if not is_ascii_digits(number):
            raise CitizenIdError("format", "15 位身份号码只能由数字组成")
        number = upgrade_15(number)
    if len(number) != 18:
        raise CitizenIdError("length", f"公民身份号码应为 18 位，实际为 {len(number)} 位")
    if not is_ascii_digits(number[:17]) or not (is_ascii_digits(number[17]) or number[17] == "X"):
        raise CitizenIdError("format", "公民身份号码前 17 位必须是数字，末位为数字或 X")
    if ric.calc_check_digit(number) != number[17]:
        raise CitizenIdError("checksum", "公民身份号码校验位错误，请核对号码")
    birth = _birth_date_or_none(number)
    if birth is None:
        raise CitizenIdError("birth_date", "公民身份号码中的出生日期无效")
    if birth > clock.today():
        raise CitizenIdError("birth_date", "公民身份号码中的出生日期晚于今天")
    if not region_known(number, birth.year):
        raise CitizenIdError("region", "公民身份号码前 6 位不是有效的县级行政区划代码")
    sex = "1" if int(number[16]) % 2 == 1 else "2"
    return CitizenId(number=number, birth_date=birth, sex=sex, region_prefix=number[:6])


def _birth_date_or_none(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def mask_citizen_id(number: str) -> str:
    """First 6 and last 4 characters, as lists show them."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make_citizen_id(region6: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number (for tests and synthetic data): the sequence's
    last digit is forced odd for men and even for women."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (sex == "1"):
        seq = (seq + 1) % 1000
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
