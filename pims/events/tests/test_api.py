"""Filing and reviewing change reports through the JSON API: the same
services, roles, scope and rules as the pages."""

from pims.events.models import ChangeReport, Event
from pims.lib import clock
from pims.registry.models import Person

from .conftest import this_month

DAY = clock.today().isoformat()
API = "/api/events"


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_clerk_files_and_submits_and_reviewer_approves_through_the_api(client_for, regions, family):
    hh, m = family
    clerk, reviewer = client_for("clerk"), client_for("reviewer")
    resp = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()})
    assert resp.status_code == 201, resp.content
    report = resp.json()
    assert report["state"] == "draft" and report["source"] == "village"
    again = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()})
    assert again.status_code == 409 and "已有一份未审核" in again.json()["detail"]

    birth = {"related_person": m["李四"].pk, "name": "张小刚", "sex": "1", "relationship": "20", "effective_date": DAY}
    resp = post(clerk, f"{API}/reports/{report['id']}/events/birth", birth)
    assert resp.status_code == 201, resp.content
    assert resp.json()["review_status"] == "pending" and "张小刚" in resp.json()["summary"]
    assert Event.objects.get(uuid=resp.json()["uuid"]).pk == resp.json()["id"]
    assert ChangeReport.objects.get(uuid=report["uuid"]).pk == report["id"]

    resp = post(clerk, f"{API}/reports/{report['id']}/submit")
    assert resp.status_code == 200 and resp.json()["state"] == "submitted"
    assert post(clerk, f"{API}/reports/{report['id']}/approve").status_code == 404  # a clerk does not review
    resp = post(reviewer, f"{API}/reports/{report['id']}/approve")
    assert resp.status_code == 200 and resp.json()["state"] == "approved"
    assert resp.json()["events"][0]["approved_period"] == this_month()
    assert Person.objects.filter(name="张小刚", household=hh).exists()
    assert post(reviewer, f"{API}/reports/{report['id']}/approve").status_code == 409


def test_invalid_event_is_refused_as_json_naming_field_and_rule(client_for, regions, family):
    hh, m = family
    clerk = client_for("clerk")
    report = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()}).json()
    url = f"{API}/reports/{report['id']}/events/birth"
    resp = post(
        clerk,
        url,
        {"related_person": m["张三"].pk, "name": "某", "sex": "1", "relationship": "20", "effective_date": DAY},
    )
    assert resp.status_code == 422
    problem = resp.json()["problems"][0]
    assert problem["record"] == "新事件" and "性别为男" in problem["message"] and "规则" in problem["message"]
    resp = post(clerk, url, {"related_person": m["李四"].pk, "sex": "9", "effective_date": "2026-02-30"})
    messages = [p["message"] for p in resp.json()["problems"]]
    assert resp.status_code == 422 and any("发生日期" in x for x in messages) and any("婴儿姓名" in x for x in messages)
    assert post(clerk, f"{API}/reports/{report['id']}/events/move_out", {}).status_code == 404  # not a village type
    assert not Event.objects.filter(report_id=report["id"]).exists()


def test_submit_names_each_refused_event(client_for, personas, regions, family):
    hh, m = family
    clerk = client_for("clerk")
    report = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()}).json()
    event = post(
        clerk, f"{API}/reports/{report['id']}/events/pregnancy", {"person": m["李四"].pk, "effective_date": DAY}
    ).json()
    from pims.registry.models import Pregnancy

    Pregnancy.objects.create(woman=m["李四"], start_date=clock.today())  # the register changed meanwhile
    resp = post(clerk, f"{API}/reports/{report['id']}/submit")
    assert resp.status_code == 422
    problem = resp.json()["problems"][0]
    assert problem["event_id"] == event["id"] and problem["record"] == f"事件 {event['id']}"
    assert ChangeReport.objects.get(pk=report["id"]).state == "draft"


def test_reviewer_returns_with_comments_on_an_event_and_item(client_for, regions, family):
    hh, m = family
    clerk, reviewer = client_for("clerk"), client_for("reviewer")
    report = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()}).json()
    event = post(
        clerk, f"{API}/reports/{report['id']}/events/pregnancy", {"person": m["李四"].pk, "effective_date": DAY}
    ).json()
    post(clerk, f"{API}/reports/{report['id']}/submit")
    url = f"{API}/reports/{report['id']}/return"
    assert post(reviewer, url, {"comments": []}).status_code == 409
    stranger = post(reviewer, url, {"comments": [{"message": "?", "event_id": 999999}]})
    assert stranger.status_code == 409 and "不属于本变更单" in stranger.json()["detail"]
    resp = post(
        reviewer, url, {"comments": [{"message": "怀孕日期有误", "event_id": event["id"], "field": "发生日期"}]}
    )
    assert resp.status_code == 200 and resp.json()["state"] == "returned"
    assert resp.json()["comments"] == [{"event_id": event["id"], "field": "发生日期", "message": "怀孕日期有误"}]
    assert clerk.get(f"{API}/reports/{report['id']}").json()["comments"][0]["message"] == "怀孕日期有误"


def test_outsider_gets_404_for_every_write_of_another_township(client_for, personas, regions, family):
    hh, m = family
    clerk, outsider = client_for("clerk"), client_for("outsider")
    report = post(clerk, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()}).json()
    rid = report["id"]
    assert (
        post(
            outsider, f"{API}/reports", {"region_code": regions["village_a1"].code, "period": this_month()}
        ).status_code
        == 404
    )
    for url in (
        f"{API}/reports/{rid}/events/pregnancy",
        f"{API}/reports/{rid}/submit",
        f"{API}/reports/{rid}/approve",
        f"{API}/reports/{rid}",
    ):
        resp = post(outsider, url, {"person": m["李四"].pk}) if not url.endswith(str(rid)) else outsider.get(url)
        assert resp.status_code == 404, url
    assert post(outsider, f"{API}/reports/{rid}/return", {"comments": [{"message": "x"}]}).status_code == 404
    assert ChangeReport.objects.get(pk=rid).state == "draft" and not Event.objects.filter(report_id=rid).exists()
