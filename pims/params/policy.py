"""Named readers of the policy values several apps use, over
`param_value` — so a key is spelled once and a caller reads what it means.

Each takes the day the value must be in force on: the day of the fact it
judges (a marriage's date, a child's birth date), or today for "now"."""

import datetime as dt

from .selectors import param_value

MALE, FEMALE = "1", "2"  # GB/T 2261.1
MARRIAGE_MIN_AGE = {MALE: "marriage.min_age.male", FEMALE: "marriage.min_age.female"}
MOTHER_AGE_MIN, MOTHER_AGE_MAX = "birth.mother_age.min", "birth.mother_age.max"
MOTHER_AGE_USUAL_MAX = "birth.mother_age.usual_max"
FATHER_AGE_USUAL_MIN = "birth.father_age.usual_min"
CHILDBEARING_AGE_MIN, CHILDBEARING_AGE_MAX = "childbearing.age.min", "childbearing.age.max"
MARITAL_HISTORY_MIN_AGE = "person.marital_history.min_age"
HIGHER_EDUCATION_MIN_AGE = "person.higher_education.min_age"
PLAUSIBLE_MAX_AGE = "person.age.plausible_max"


def min_marriage_age(sex: str, on: dt.date) -> int | None:
    """The legal minimum age at marriage for `sex` on the marriage date
    (None before the first marriage law in the table: nothing to judge)."""
    return param_value(MARRIAGE_MIN_AGE[sex], on, default=None)


def childbearing_ages(on: dt.date | None = None) -> tuple[int, int]:
    """育龄: the first and last completed year of childbearing age."""
    return param_value(CHILDBEARING_AGE_MIN, on), param_value(CHILDBEARING_AGE_MAX, on)


def mother_age_limits(on: dt.date) -> tuple[int, int]:
    """The youngest and oldest plausible age of a mother at a birth on `on`;
    outside them the birth record is refused as wrong."""
    return param_value(MOTHER_AGE_MIN, on), param_value(MOTHER_AGE_MAX, on)


def change_report_due_day(on: dt.date) -> int:
    """The day of the month by which the previous month's change report is due."""
    return param_value("change_report.due_day", on)
