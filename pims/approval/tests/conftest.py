import datetime as dt

import pytest

from pims.accounts.roles import Role
from pims.events import services as events
from pims.testing.fixtures import make_user

DAY = dt.date(2027, 3, 10)
PERIOD = "2027-02"


@pytest.fixture(autouse=True)
def _march(travel):
    """Every approval test runs on 2027-03-10: February is over, March is not."""
    travel(DAY)


@pytest.fixture
def clerks(personas, regions):
    """A clerk for each village of township A (A1's is the persona)."""
    return {
        "village_a1": personas["clerk"],
        "village_a2": make_user("clerk_a2", Role.VILLAGE_CLERK, regions["village_a2"]),
    }


def file_village_report(clerk, village, period=PERIOD, *, approve_by=None):
    """An (empty) village report for the month, submitted; approved when a reviewer is given."""
    report = events.change_report_create(actor=clerk, region_code=village.code, period=period)
    report = events.change_report_submit(actor=clerk, report=report)
    if approve_by is not None:
        report = events.change_report_approve(actor=approve_by, report=report)
    return report


@pytest.fixture
def month_done(personas, regions, clerks):
    """Township A's February: every village reported, every report approved."""
    for key in ("village_a1", "village_a2"):
        file_village_report(clerks[key], regions[key], approve_by=personas["reviewer"])
