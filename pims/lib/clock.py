"""The product's one clock: every "now" and "today" of the domain comes from here.

Business rules (ages, due days, the month a change report is for, the period an
event is approved in) must not read the machine's clock directly, so that the
test suite can run on any calendar day: tests pin the date with
``PIMS_CLOCK_TODAY`` (only honoured when ``PIMS_ENV=test``; child processes
inherit it) or with :func:`travel_to`.

A pinned clock keeps running: it starts at 10:00 local time on the pinned day
and advances with the process's monotonic clock, so timestamps still order and
durations still measure. Security mechanisms of the framework (sessions,
lockouts, one-time passwords) keep the real clock on purpose.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_START_OF_DAY = dt.time(10, 0)

# (pinned day, monotonic reading when it was pinned); None = the real clock.
_pinned: tuple[dt.date, float] | None = None


def now() -> dt.datetime:
    """The current moment, timezone-aware."""
    if _pinned is None:
        return timezone.now()
    day, since = _pinned
    start = timezone.make_aware(dt.datetime.combine(day, _START_OF_DAY), timezone.get_default_timezone())
    return start + dt.timedelta(seconds=time.monotonic() - since)


def today() -> dt.date:
    """Today's date in the project's time zone (Asia/Shanghai)."""
    return timezone.localdate(now())


def travel_to(day: dt.date | None) -> None:
    """Pin the clock to `day` (tests only); None restores the real clock."""
    global _pinned
    _pinned = None if day is None else (day, time.monotonic())


def pinned_day() -> dt.date | None:
    return None if _pinned is None else _pinned[0]


@contextmanager
def frozen_on(day: dt.date) -> Iterator[None]:
    """Run a block with the clock pinned to `day`, then restore the previous clock."""
    global _pinned
    previous = _pinned
    travel_to(day)
    try:
        yield
    finally:
        _pinned = previous


def _pin_from_environment() -> None:
    text = os.environ.get("PIMS_CLOCK_TODAY", "").strip()
    if text and os.environ.get("PIMS_ENV") == "test":
        travel_to(dt.date.fromisoformat(text))


_pin_from_environment()
