"""Events read with the code manual's names (issue 15.3)."""

import datetime as dt

import pytest

from pims.events.models import Event
from pims.events.selectors import event_summary

pytestmark = pytest.mark.usefixtures("codes")


def test_event_summary_names_codes():
    day = dt.date(2027, 2, 1)
    contra = Event(event_type="contra_start", payload={"method": "03"}, effective_date=day)
    assert event_summary(contra, reproductive=True) == "措施 宫内节育器（03）"
    assert "宫内节育器" not in event_summary(contra)
    correction = Event(
        event_type="correction", payload={"field": "relationship", "before": "20", "after": "30"}, effective_date=day
    )
    assert event_summary(correction) == "与户主关系：“子（20）” → “女（30）”"
