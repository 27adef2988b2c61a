"""Who files which events, and who reviews them (the seed's assignment).

- a village clerk (or the township operator on the village's behalf) files
  the village's monthly report: family events they learn of;
- the township operator files the police's events for the township (moves,
  cancellations, 机械变动, household splits and merges);
- the county files civil affairs' marriages and divorces for a township;
- health (births, deaths, pregnancies) is filed by the township or county.

All reports are reviewed by a reviewer (township reviewer or county admin)
whose jurisdiction covers the report's region, who did not file it.
"""

import datetime as dt

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.params.policy import change_report_due_day
from pims.regions.models import Level
from pims.regions.scope import code_in_scope

from .models import Event, EventType
from .periods import period_of, previous_period

Source = Event.Source
T = EventType

SOURCE_TYPES: dict[str, list[str]] = {
    Source.VILLAGE: [
        T.BIRTH,
        T.DEATH,
        T.MARRIAGE,
        T.DIVORCE,
        T.REMARRIAGE,
        T.PREGNANCY,
        T.PREG_OUTCOME,
        T.CONTRA_START,
        T.CONTRA_CHANGE,
        T.CONTRA_STOP,
        T.FLOW_IN,
        T.FLOW_OUT,
        T.CORRECTION,
        T.REVERSAL,
    ],
    Source.POLICE: [
        T.MOVE_IN,
        T.MOVE_OUT,
        T.MOVE_WITHIN,
        T.CANCEL,
        T.HH_SPLIT,
        T.HH_MERGE,
        T.BIRTH,
        T.DEATH,
        T.CORRECTION,
        T.REVERSAL,
    ],
    Source.CIVIL: [T.MARRIAGE, T.DIVORCE, T.REMARRIAGE],
    Source.HEALTH: [T.BIRTH, T.DEATH, T.PREGNANCY, T.PREG_OUTCOME],
}

# (capability needed to file, level of the report's region)
FILING: dict[str, tuple[str, str]] = {
    Source.VILLAGE: (Cap.COLLECT, Level.VILLAGE),
    Source.POLICE: (Cap.EDIT_REGISTER, Level.TOWNSHIP),
    Source.CIVIL: (Cap.COUNTY_ADMIN, Level.TOWNSHIP),
    Source.HEALTH: (Cap.EDIT_REGISTER, Level.TOWNSHIP),
}


def due_day(on: dt.date) -> int:
    """A month's report is due by this day of the month `on` falls in (the
    month after the report's), as the parameter table says for that month."""
    return change_report_due_day(on)


def reporting_period(today: dt.date | None = None) -> str:
    """The month a change report filed today is for — the one rule every page
    uses (new reports, 报送情况, the work queue): last month until its due day
    (inclusive, from the parameter table), this month after it. The seed's
    monthly cycle: villages report the month just ended by the due day."""
    today = today or clock.today()
    this_month = period_of(today)
    return previous_period(this_month) if today.day <= due_day(today) else this_month


def sources_for(user) -> list[str]:
    return [source for source, (cap, _) in FILING.items() if has_capability(user, cap)]


def may_file(user, *, source: str, region) -> bool:
    cap, level = FILING.get(source, (None, None))
    return cap is not None and has_capability(user, cap) and region.level == level and code_in_scope(user, region.code)


def reviews_region(user, code: str) -> bool:
    """A reviewer (township reviewer or county admin) whose jurisdiction covers `code`."""
    return has_capability(user, Cap.REVIEW) and code_in_scope(user, code)


def filed_by(user, report) -> bool:
    return user.pk in (report.created_by_id, report.submitted_by_id)


def may_review(user, report) -> bool:
    """Four eyes: a reviewer of the region who did not file the report."""
    return reviews_region(user, report.region_code) and not filed_by(user, report)
