"""The month rule (one function, due day from the parameter table) and the
change reports' work-queue sources."""

import datetime as dt

import pytest
from django.urls import reverse

from pims.accounts.roles import Role
from pims.events import rules, services
from pims.params.services import parameter_amend
from pims.testing.fixtures import make_user
from pims.web.queues import work_queue

pytestmark = pytest.mark.usefixtures("codes")


def items(user, source):
    return [e.item for e in work_queue(user=user).entries if e.source.key == source]


def test_a_report_is_for_last_month_until_the_due_day_then_for_this_month():
    assert rules.reporting_period(dt.date(2027, 3, 1)) == "2027-02"
    assert rules.reporting_period(dt.date(2027, 3, 5)) == "2027-02"  # the due day itself (5, from the table)
    assert rules.reporting_period(dt.date(2027, 3, 6)) == "2027-03"
    assert rules.reporting_period(dt.date(2027, 1, 3)) == "2026-12"


def test_the_due_day_is_read_from_the_parameter_table(personas):
    parameter_amend(
        actor=personas["sysadmin"],
        key="change_report.due_day",
        value="10",
        valid_from=dt.date(2027, 3, 1),
        source="县卫健局通知（测试）",
        status="verified",
        confirmed_by="测试",
    )
    assert rules.reporting_period(dt.date(2027, 3, 8)) == "2027-02"
    assert rules.reporting_period(dt.date(2027, 3, 11)) == "2027-03"
    assert rules.reporting_period(dt.date(2027, 2, 8)) == "2027-02"  # before the amendment: still day 5


def test_new_report_and_status_page_agree_on_the_month_and_say_the_rule(client_for, travel, regions):
    travel(dt.date(2027, 3, 3))
    listing = client_for("clerk").get(reverse("events:report_list")).content.decode()
    assert 'id="f-new-period" name="period" value="2027-02"' in listing
    assert "每月 5 日（含）以前，变更单填报上一个月" in listing
    status = client_for("reviewer").get(reverse("events:village_status")).content.decode()
    assert "2027-02" in status and "今天应填报的月份是 2027-02" in status
    travel(dt.date(2027, 3, 6))
    listing = client_for("clerk").get(reverse("events:report_list")).content.decode()
    assert 'id="f-new-period" name="period" value="2027-03"' in listing


def test_clerk_sees_her_report_due_until_she_submits_it(personas, regions, travel):
    travel(dt.date(2027, 3, 3))
    clerk = personas["clerk"]
    # February is being reported (due on the 5th); January, never reported, is overdue and comes first.
    january, february = work_queue(user=clerk).entries
    assert (january.item.title, january.overdue) == ("2027-01 信息变更单待报送", True)
    assert (february.item.title, february.item.due, february.overdue) == (
        "2027-02 信息变更单待报送",
        dt.date(2027, 3, 5),
        False,
    )
    january_report = services.change_report_create(
        actor=clerk, region_code=regions["village_a1"].code, period="2027-01"
    )
    services.change_report_submit(actor=clerk, report=january_report)
    services.change_report_approve(actor=personas["reviewer"], report=january_report)
    assert [i.title for i in items(clerk, "events.due")] == ["2027-02 信息变更单待报送"]
    report = services.change_report_create(actor=clerk, region_code=regions["village_a1"].code, period="2027-02")
    services.change_report_submit(actor=clerk, report=report)
    assert items(clerk, "events.due") == []
    [review] = items(personas["reviewer"], "events.review")
    assert review.url == reverse("events:report_review", args=[report.pk])
    assert items(personas["outsider"], "events.review") == []

    services.change_report_return(actor=personas["reviewer"], report=report, comments=[{"message": "请补报出生"}])
    [returned] = items(clerk, "events.returned")
    assert returned.url == reverse("events:report_detail", args=[report.pk])
    assert items(personas["reviewer"], "events.review") == []
    services.change_report_submit(actor=clerk, report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)
    assert items(clerk, "events.returned") == [] and items(personas["reviewer"], "events.review") == []


def test_after_the_due_day_missing_villages_are_overdue_for_the_reviewer(personas, regions, travel):
    travel(dt.date(2027, 3, 8))
    clerk = personas["clerk"]
    report = services.change_report_create(actor=clerk, region_code=regions["village_a1"].code, period="2027-02")
    services.change_report_submit(actor=clerk, report=report)
    [overdue] = items(personas["reviewer"], "events.due")
    assert overdue.title == "大孤家子镇：1 个村 2027-02 信息变更单逾期未报"
    assert "township=210124101000" in overdue.url and "period=2027-02" in overdue.url
    assert work_queue(user=personas["reviewer"]).entries[0].item == overdue  # overdue comes first
    # the clerk's own February report is in; March is the month now being reported
    assert [i.title for i in items(clerk, "events.due")] == ["2027-03 信息变更单待报送"]
    assert items(personas["outsider"], "events.due") == []
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    assert [i.title for i in items(reviewer_b, "events.due")] == ["三面船镇：1 个村 2027-02 信息变更单逾期未报"]
