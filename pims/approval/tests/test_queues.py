import pytest

from pims.approval import queues, services

from .conftest import PERIOD

pytestmark = pytest.mark.django_db


def test_the_reviewer_is_asked_to_approve_and_the_county_to_accept(personas, regions, month_done):
    [item] = queues.months_to_approve(personas["reviewer"])
    assert PERIOD in item.title and regions["township_a"].name in item.title
    assert queues.months_to_accept(personas["county"]) == []
    services.period_approve(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD)
    assert queues.months_to_approve(personas["reviewer"]) == []
    [item] = queues.months_to_accept(personas["county"])
    assert regions["township_a"].name in item.title
    services.period_accept(actor=personas["county"], township=regions["township_a"], period=PERIOD)
    assert queues.months_to_accept(personas["county"]) == []


def test_others_get_no_approval_items(personas, regions, month_done):
    services.period_approve(actor=personas["reviewer"], township=regions["township_a"], period=PERIOD)
    for who in ("clerk", "operator", "outsider", "sysadmin", "auditor"):
        assert queues.months_to_approve(personas[who]) == [] and queues.months_to_accept(personas[who]) == []


def test_no_approval_item_while_the_months_work_is_open(personas, clerks, regions):
    from .conftest import file_village_report

    assert queues.months_to_approve(personas["reviewer"]) == []  # no village has reported
    file_village_report(clerks["village_a1"], regions["village_a1"], approve_by=personas["reviewer"])
    assert queues.months_to_approve(personas["reviewer"]) == []  # village A2 has not
    file_village_report(clerks["village_a2"], regions["village_a2"], approve_by=personas["reviewer"])
    assert len(queues.months_to_approve(personas["reviewer"])) == 1
