import datetime as dt

import pytest
from django.urls import reverse

from pims.events import services
from pims.events.models import ChangeReport, Event
from pims.lib import clock
from pims.registry.models import Person

from .conftest import this_month, village_report

DAY = clock.today().isoformat()


@pytest.fixture
def report_with_birth(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    services.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="birth",
        data={
            "related_person": m["李四"].pk,
            "name": "张小刚",
            "sex": "1",
            "relationship": "20",
            "effective_date": DAY,
        },
    )
    return report, hh, m


def test_clerk_creates_report_and_files_events_through_the_pages(client_for, regions, family):
    hh, m = family
    clerk = client_for("clerk")
    resp = clerk.post(
        reverse("events:report_list"),
        {"region": regions["village_a1"].code, "period": this_month(), "source": "village"},
    )
    report = ChangeReport.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("events:report_detail", args=[report.pk])
    page = clerk.get(reverse("events:report_detail", args=[report.pk]))
    assert "出生" in page.content.decode() and page.status_code == 200
    form = clerk.get(reverse("events:report_event_create", args=[report.pk]) + "?type=death")
    assert "新户主" in form.content.decode()
    bad = clerk.post(
        reverse("events:report_event_create", args=[report.pk]),
        {"event_type": "death", "person": m["张三"].pk, "effective_date": DAY},
    )
    assert bad.status_code == 422 and "必须在“新户主”中指定" in bad.content.decode()
    ok = clerk.post(
        reverse("events:report_event_create", args=[report.pk]),
        {"event_type": "death", "person": m["张三"].pk, "new_head_id": m["李四"].pk, "effective_date": DAY},
    )
    assert ok.status_code == 302
    assert report.events.get().event_type == "death"
    clerk.post(reverse("events:report_submit", args=[report.pk]))
    assert ChangeReport.objects.get().state == "submitted"


def test_reviewer_approves_and_histories_show_the_changes(client_for, report_with_birth, personas):
    report, hh, m = report_with_birth
    services.change_report_submit(actor=personas["clerk"], report=report)
    reviewer = client_for("reviewer")
    page = reviewer.get(reverse("events:report_review", args=[report.pk]))
    assert "审核通过" in page.content.decode()
    reviewer.post(reverse("events:report_review", args=[report.pk]), {"decision": "approve"})
    assert ChangeReport.objects.get().state == "approved"
    child = Person.objects.get(name="张小刚")
    timeline = reviewer.get(reverse("events:person_timeline", args=[m["李四"].pk])).content.decode()
    assert "出生（作为母亲）" in timeline
    history = reviewer.get(reverse("events:household_history", args=[hh.pk])).content.decode()
    assert "张小刚" in history and "出生" in history
    assert reviewer.get(reverse("events:person_timeline", args=[child.pk])).status_code == 200
    population = reviewer.get(reverse("events:population") + f"?period={this_month()}").content.decode()
    assert "人口变动平衡表" in population


def test_reviewer_returns_with_comment(client_for, report_with_birth, personas):
    report, hh, m = report_with_birth
    services.change_report_submit(actor=personas["clerk"], report=report)
    event = report.events.get()
    client_for("reviewer").post(
        reverse("events:report_review", args=[report.pk]),
        {"decision": "return", "message": "请补充出生医学证明编号", "event": event.pk},
    )
    assert ChangeReport.objects.get().state == "returned"
    page = client_for("clerk").get(reverse("events:report_detail", args=[report.pk])).content.decode()
    assert "请补充出生医学证明编号" in page


def test_outsider_gets_404_everywhere(client_for, report_with_birth):
    report, hh, m = report_with_birth
    event = report.events.get()
    outsider = client_for("outsider")
    for name, arg in [
        ("events:report_detail", report.pk),
        ("events:report_review", report.pk),
        ("events:report_event_create", report.pk),
        ("events:person_timeline", m["李四"].pk),
        ("events:household_history", hh.pk),
    ]:
        assert outsider.get(reverse(name, args=[arg]) + "?type=birth").status_code == 404, name
    for name, arg in [
        ("events:report_submit", report.pk),
        ("events:event_withdraw", event.pk),
        ("events:report_review", report.pk),
    ]:
        assert outsider.post(reverse(name, args=[arg]), {"decision": "approve"}).status_code == 404, name
    listing = outsider.get(reverse("events:report_list")).content.decode()
    assert "大孤家子" not in listing
    assert Event.objects.get(pk=event.pk).review_status == "pending"


def test_village_status_shows_missing_and_late_reports(client_for, personas, regions, family, travel):
    from pims.events.periods import previous_period
    from pims.events.selectors import report_due_date, village_report_status

    last_month = previous_period(this_month())
    report = village_report(personas, regions, period=last_month)
    rows = {
        r.village.code: r
        for r in village_report_status(
            user=personas["reviewer"], township=regions["township_a"], period=last_month, today=dt.date(2099, 1, 1)
        )
    }
    assert rows[regions["village_a2"].code].missing and rows[regions["village_a1"].code].report == report
    services.change_report_submit(actor=personas["clerk"], report=report)
    # The page judges "missing" against today: look after last month's due day,
    # whatever day of the month the run is pinned to.
    travel(report_due_date(last_month) + dt.timedelta(days=1))
    page = client_for("reviewer").get(reverse("events:village_status") + f"?period={last_month}").content.decode()
    assert "拉马桥村委会" in page and "未报" in page
    assert (
        client_for("outsider")
        .get(reverse("events:village_status") + f"?township={regions['township_a'].code}")
        .status_code
        == 404
    )


def test_nav_lists_the_change_reports(client_for):
    page = client_for("clerk").get(reverse("web:module", args=["registry"])).content.decode()
    assert "信息变更单" in page


def test_reviewer_approves_several_reports_together(client_for, personas, regions, codes):
    from .conftest import approved_household, members

    reports = []
    for key, number, seq in (("village_a1", "0001", 0), ("village_a2", "0002", 1)):
        hh = approved_household(personas, regions[key], number=number, seq=seq)
        filer = personas["clerk"] if key == "village_a1" else personas["operator"]
        report = services.change_report_create(actor=filer, region_code=regions[key].code, period=this_month())
        services.event_file(
            actor=filer,
            report=report,
            event_type="pregnancy",
            data={"person": members(hh)["李四"].pk, "effective_date": DAY},
        )
        services.change_report_submit(actor=filer, report=report)
        reports.append(report)
    assert (
        client_for("outsider").post(reverse("events:reports_approve"), {"report": [r.pk for r in reports]}).status_code
        == 404
    )
    client_for("reviewer").post(reverse("events:reports_approve"), {"report": [r.pk for r in reports]})
    assert set(ChangeReport.objects.values_list("state", flat=True)) == {"approved"}
    assert Event.objects.filter(review_status="approved", event_type="pregnancy").count() == 2


def test_api_population_and_timeline_are_scoped(client_for, report_with_birth, personas, regions):
    report, hh, m = report_with_birth
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)
    reviewer = client_for("reviewer")
    body = reviewer.get(f"/api/events/population/{regions['village_a1'].code}?period={this_month()}").json()
    assert body["births"] == 1 and body["end"] == body["start"] + body["baseline"] + 1
    timeline = reviewer.get(f"/api/events/persons/{m['李四'].pk}/timeline").json()
    assert any(e["title"].startswith("出生") for e in timeline)
    outsider = client_for("outsider")
    assert outsider.get(f"/api/events/persons/{m['李四'].pk}/timeline").status_code == 404
    assert outsider.get(f"/api/events/population/{regions['village_a1'].code}?period={this_month()}").status_code == 404


def test_balance_is_one_statement_and_report_page_does_not_grow_with_events(
    client_for, personas, regions, family, django_assert_num_queries
):
    from pims.events import selectors

    with django_assert_num_queries(1):
        selectors.population_balance(regions["county"].prefix, this_month())
    hh, m = family
    report = village_report(personas, regions)
    clerk = client_for("clerk")
    url = reverse("events:report_detail", args=[report.pk])
    services.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="pregnancy",
        data={"person": m["李四"].pk, "effective_date": DAY},
    )
    # A correction of a code item from the start: its name is read from the
    # code manual (one query per table, pims.codes.names), not once per event.
    services.event_file(
        actor=personas["clerk"],
        report=report,
        event_type="correction",
        data={"person": m["张三"].pk, "field": "occupation", "before": "", "after": "1", "effective_date": DAY},
    )
    clerk.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        clerk.get(url)
    for name in ("张小明", "张小红"):
        services.event_file(
            actor=personas["clerk"],
            report=report,
            event_type="correction",
            data={"person": m[name].pk, "field": "occupation", "before": "", "after": "1", "effective_date": DAY},
        )
    with CaptureQueriesContext(connection) as three:
        clerk.get(url)
    assert len(three.captured_queries) == len(one.captured_queries)


def test_returned_event_comments_show_next_to_the_event_and_field_in_the_edit_form(
    client_for, personas, family, report_with_birth
):
    report, hh, m = report_with_birth
    birth = report.events.get()
    services.change_report_submit(actor=personas["clerk"], report=report)
    reviewer = client_for("reviewer")
    reviewer.post(
        reverse("events:report_review", args=[report.pk]),
        {"decision": "return", "event": birth.pk, "field": "婴儿姓名", "message": "婴儿姓名与出生医学证明不符"},
    )
    clerk = client_for("clerk")
    detail = clerk.get(reverse("events:report_detail", args=[report.pk])).content.decode()
    assert 'data-testid="event-comment"' in detail and "婴儿姓名与出生医学证明不符" in detail
    assert reverse("events:event_edit", args=[birth.pk]) in detail

    form = clerk.get(reverse("events:event_edit", args=[birth.pk])).content.decode()
    # The comment sits in the name item's paragraph, after its input (which holds the filed value).
    item = form[form.index('id="w-name"') :]
    item = item[: item.index("</p>")]
    assert 'value="张小刚"' in form and 'data-field="name"' in item and "婴儿姓名与出生医学证明不符" in item

    resp = clerk.post(
        reverse("events:event_edit", args=[birth.pk]),
        {
            "event_type": "birth",
            "related_person": m["李四"].pk,
            "name": "张晓刚",
            "sex": "1",
            "relationship": "20",
            "effective_date": DAY,
        },
    )
    assert resp.status_code == 302
    assert Event.objects.get(pk=birth.pk).review_status == "withdrawn"
    assert report.events.get(review_status="pending").payload["name"] == "张晓刚"
    assert client_for("outsider").get(reverse("events:event_edit", args=[birth.pk])).status_code == 404
    assert reviewer.get(reverse("events:event_edit", args=[birth.pk])).status_code == 404


def test_comment_on_a_whole_event_is_shown_at_the_top_of_its_form(client_for, personas, report_with_birth):
    report, hh, m = report_with_birth
    birth = report.events.get()
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_return(
        actor=personas["reviewer"], report=report, comments=[{"event_id": birth.pk, "message": "请核实出生日期"}]
    )
    form = client_for("clerk").get(reverse("events:event_edit", args=[birth.pk])).content.decode()
    top = form[: form.index('name="event_type"')]
    assert 'data-testid="review-comment"' in top and "请核实出生日期" in top


def test_timeline_shows_certificate_like_records_in_order_with_events_and_spells(
    client_for, personas, report_with_birth
):
    report, hh, m = report_with_birth
    from pims.registry.models import Birth

    birth = report.events.get()
    Event.objects.filter(pk=birth.pk).update(payload={**birth.payload, "certificate_no": "O210123456"})
    services.change_report_submit(actor=personas["clerk"], report=report)
    services.change_report_approve(actor=personas["reviewer"], report=report)
    child = Person.objects.get(name="张小刚")
    assert Birth.objects.get(child=child).certificate_no == "O210123456"
    page = client_for("clerk").get(reverse("events:person_timeline", args=[child.pk])).content.decode()
    assert "出生医学证明 O2******56" in page and "O210123456" not in page
    rows = [page.index(s) for s in ('data-kind="event"', 'data-kind="certificate"', 'data-kind="spell"')]
    assert rows == sorted(rows)  # same day: the event, then the record it made, then the spells it opened
    mother = client_for("clerk").get(reverse("events:person_timeline", args=[m["李四"].pk])).content.decode()
    assert "结婚登记：与“张三”（初婚）" in mother and "子女“张小刚”出生登记" in mother and "孩次 3" in mother
    entries = [e.title for e in selectors_timeline(m["李四"])]
    assert entries.index("结婚登记：与“张三”（初婚）") < entries.index("子女“张小明”出生登记")


def test_a_new_timeline_source_adds_its_entries_in_order(personas, family):
    from pims.events import selectors

    hh, m = family
    day = dt.date(2013, 1, 1)

    @selectors.timeline_source("test_certificates", order=1)
    def _honour(person):
        yield selectors.TimelineEntry(day, "certificate", "独生子女父母光荣证 No.1")

    try:
        titles = [(e.day, e.title) for e in selectors.person_timeline(m["李四"])]
    finally:
        del selectors.TIMELINE_SOURCES["test_certificates"]
    position = titles.index((day, "独生子女父母光荣证 No.1"))
    assert titles[position - 1][0] <= day <= titles[position + 1][0]


def selectors_timeline(person):
    from pims.events import selectors

    return selectors.person_timeline(person)


def test_refusals_a_user_can_meet_are_messages_not_404(client_for, personas, regions, family):
    """Refusals of records the user may see are shown on the page (the API
    answers them 409/422); only what is not theirs answers 404."""
    hh, m = family
    county = client_for("county")
    civil = services.change_report_create(
        actor=personas["county"], region_code=regions["township_a"].code, period=this_month(), source="civil"
    )
    services.event_file(
        actor=personas["county"],
        report=civil,
        event_type="divorce",
        data={"person": m["张三"].pk, "related_person": m["李四"].pk, "effective_date": DAY},
    )
    services.change_report_submit(actor=personas["county"], report=civil)
    resp = county.post(reverse("events:report_review", args=[civil.pk]), {"decision": "approve"}, follow=True)
    assert resp.status_code == 200 and "填报人不能审核自己的变更单" in resp.content.decode()
    assert ChangeReport.objects.get(pk=civil.pk).state == "submitted"
    api = county.post(f"/api/events/reports/{civil.pk}/approve", content_type="application/json")
    assert api.status_code == 409 and "填报人不能审核" in api.json()["detail"]

    # A township operator choosing a village for a police report: told why, nothing created.
    operator = client_for("operator")
    resp = operator.post(
        reverse("events:report_list"),
        {"region": regions["village_a1"].code, "period": this_month(), "source": "police"},
        follow=True,
    )
    assert resp.status_code == 200 and "您不能为该区划填报这一来源的变更单" in resp.content.decode()
    # The outsider asking for township A's village: 404, nothing said.
    outsider = client_for("outsider")
    assert (
        outsider.post(
            reverse("events:report_list"),
            {"region": regions["village_a1"].code, "period": this_month(), "source": "village"},
        ).status_code
        == 404
    )
    assert ChangeReport.objects.count() == 1
