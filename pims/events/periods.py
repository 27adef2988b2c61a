"""Months as "YYYY-MM" strings: the statistical period of an event is the
month it was approved in, and strings of this shape sort like the months."""

import datetime as dt
import re

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def is_period(text: str) -> bool:
    return bool(PERIOD_RE.match(text or ""))


def first_day(period: str) -> dt.date:
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def last_day(period: str) -> dt.date:
    return first_day(next_period(period)) - dt.timedelta(days=1)


def next_period(period: str) -> str:
    return period_of(first_day(period) + dt.timedelta(days=32))


def previous_period(period: str) -> str:
    return period_of(first_day(period) - dt.timedelta(days=1))


def periods_between(first: str, last: str) -> list[str]:
    out, p = [], first
    while p <= last:
        out.append(p)
        p = next_period(p)
    return out
