"""Domain limits, each defined once: one rule id, one message, one reading of
the dated parameter table (pims/params).

The register rules (`register_rules`: the form, the API, the file import and
the batch check) judge these limits in SQL with `param_expression`; the event
handlers (births, marriages, corrections …) judge them in Python with the
functions below. Both read the same parameter keys on the day of the fact
(the child's birth date, the marriage date), and both say the rule's message
(`Rule.text` after the form row), so a limit changed in its parameter row
changes every path and every path names it by the same id.

Tests import the ids and message constants, not the wording.
"""

import datetime as dt

from pims.params import policy

from .base import Finding, finding

MALE, FEMALE = "1", "2"

# --- marriage age ---------------------------------------------------------------------

MARRIAGE_AGE = {MALE: "R01", FEMALE: "R02"}
SEX_LABEL = {MALE: "男", FEMALE: "女"}
MARRIAGE_AGE_TEXT = (
    "{name}（{sex_label}）结婚时或现年 {shown_age} 岁，未达到 {min_age} 周岁的法定婚龄（婚姻状况/结婚日期）"
)


def marriage_age(*, name: str, sex: str, age: int, on: dt.date) -> Finding | None:
    """R01/R02: `age` at a marriage on `on` below the legal age then in force."""
    minimum = policy.min_marriage_age(sex, on)
    if minimum is None or age >= minimum:
        return None
    return finding(MARRIAGE_AGE[sex], name=name, sex_label=SEX_LABEL[sex], shown_age=age, min_age=minimum)


# --- parents and children ---------------------------------------------------------------

PARENT_OLDER = "R07"
PARENT_OLDER_TEXT = "{name} 的{parent}出生日期不早于本人出生日期（母亲行号/父亲行号）"


def parent_older(*, name: str, parent: str) -> Finding:
    """R07: the parent (母亲 / 父亲) is not born before the child."""
    return finding(PARENT_OLDER, name=name, parent=parent)


# --- mother's age at a birth ------------------------------------------------------------

MOTHER_AGE = "R08"
MOTHER_AGE_TEXT = (
    "{name} 出生时母亲年龄为 {mother_age} 岁，不在 {min_age}–{max_age} 岁的合理范围内（母亲行号/出生日期）"
)
MOTHER_AGE_UNUSUAL = "R09"
MOTHER_AGE_UNUSUAL_TEXT = "{name} 出生时母亲年龄为 {mother_age} 岁，超过 {usual_max} 岁，请核实"


def mother_age(*, name: str, age: int, born: dt.date) -> Finding | None:
    """R08: the mother's `age` at a birth on `born` outside the plausible range
    then in force (a wrong mother or date: refused on every path)."""
    lo, hi = policy.mother_age_limits(born)
    if lo <= age <= hi:
        return None
    return finding(MOTHER_AGE, name=name, mother_age=age, min_age=lo, max_age=hi)
