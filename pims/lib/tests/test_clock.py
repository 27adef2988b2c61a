import datetime as dt
import re
from pathlib import Path

from pims.lib import clock


def test_a_pinned_clock_gives_the_pinned_day_and_keeps_running(travel):
    travel(dt.date(2028, 2, 29))
    first = clock.now()
    assert clock.today() == dt.date(2028, 2, 29)
    assert clock.now() >= first and first.tzinfo is not None


def test_frozen_on_restores_the_previous_day():
    before = clock.today()
    with clock.frozen_on(dt.date(2027, 3, 3)):
        assert clock.today() == dt.date(2027, 3, 3)
    assert clock.today() == before


def test_the_suite_runs_on_a_pinned_day():
    assert clock.pinned_day() is not None, "pims.testing.env pins the clock for every test run"


# The domain's "today" comes from pims.lib.clock only. (timezone.now() stays
# allowed for physical record timestamps: created_at, job progress, lockouts.)
FORBIDDEN = re.compile(r"\bdate\.today\(\)|\bdatetime\.now\(\)|\btimezone\.localdate\(\)|\bdatetime\.today\(\)")


def test_no_module_reads_todays_date_from_the_machine():
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root.parent)}:{n}"
        for path in root.rglob("*.py")
        if path.name != "clock.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line) and "FORBIDDEN" not in line
    ]
    assert offenders == []
