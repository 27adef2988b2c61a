"""The work queue (待办): a returned form waits on the clerk's queue, a
submitted one on the reviewer's, approval clears both; nobody sees another
region's items; the poll endpoint does not keep an idle session alive."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from pims.accounts.roles import Role
from pims.lib.citizen_id import make_citizen_id
from pims.registry import services
from pims.registry.tests.conftest import family_form
from pims.testing.fixtures import make_user
from pims.web.queues import SOURCES, QueueItem, register_source, work_queue

pytestmark = pytest.mark.usefixtures("codes")


def keys(user, source):
    return [e.item.key for e in work_queue(user=user).entries if e.source.key == source]


def submitted_form(personas, regions, number="0001"):
    seq = int(number)
    data, members = family_form(
        regions["village_a1"].code,
        number=number,
        head_id=make_citizen_id("210124", dt.date(1985, 6, 15), 10 + 2 * seq, "1"),
        spouse_id=make_citizen_id("210124", dt.date(1988, 4, 2), 20 + 2 * seq, "2"),
    )
    result = services.household_save(
        actor=personas["clerk"],
        data=data,
        members=members,
        village_code=regions["village_a1"].code,
        confirm_warnings=True,
    )
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert services.household_submit(actor=personas["clerk"], household=hh, confirm_warnings=True).saved
    return hh


def test_returned_form_waits_for_clerk_then_reviewer_then_clears(personas, regions):
    clerk, reviewer = personas["clerk"], personas["reviewer"]
    hh = submitted_form(personas, regions)
    assert keys(clerk, "registry.returned") == []
    review = [e for e in work_queue(user=reviewer).entries if e.source.key == "registry.review"]
    assert [e.item.url for e in review] == [reverse("registry:household_review", args=[hh.pk])]

    services.household_return(
        actor=reviewer, household=hh, comments=[{"row": 2, "field": "phone", "message": "补电话"}]
    )
    [entry] = [e for e in work_queue(user=clerk).entries if e.source.key == "registry.returned"]
    assert entry.item.url == reverse("registry:household_edit", args=[hh.pk])
    assert "0001" in entry.item.title and "1 条审核意见" in entry.item.detail
    assert keys(reviewer, "registry.review") == []

    hh.refresh_from_db()
    assert services.household_submit(actor=clerk, household=hh).saved
    assert keys(clerk, "registry.returned") == []
    assert len(keys(reviewer, "registry.review")) == 1

    hh.refresh_from_db()
    services.household_approve(actor=reviewer, household=hh)
    assert work_queue(user=clerk).entries == [] or keys(clerk, "registry.returned") == []
    assert keys(reviewer, "registry.review") == []


def test_several_forms_of_a_village_are_one_item_with_a_count(personas, regions):
    submitted_form(personas, regions, "0001")
    submitted_form(personas, regions, "0002")
    queue = work_queue(user=personas["reviewer"])
    [entry] = [e for e in queue.entries if e.source.key == "registry.review"]
    assert entry.item.count == 2
    assert "state=submitted" in entry.item.url and regions["village_a1"].code in entry.item.url
    assert {s.key: s.count for s in queue.sources}["registry.review"] == 2


def test_outsider_sees_none_of_another_regions_items(personas, regions):
    hh = submitted_form(personas, regions)
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    services.household_return(actor=personas["reviewer"], household=hh, comments=[{"message": "补电话"}])
    for user in (reviewer_b, personas["outsider"]):
        shown = " ".join(f"{e.item.title} {e.item.detail} {e.item.url}" for e in work_queue(user=user).entries)
        assert "0001" not in shown and "大孤家子" not in shown
    assert [e for e in work_queue(user=reviewer_b).entries if e.source.key.startswith("registry.")] == []
    for persona in ("auditor", "sysadmin"):
        assert work_queue(user=personas[persona]).entries == []


def test_dashboard_and_queue_page_list_items_with_counts(client_for, personas, regions):
    hh = submitted_form(personas, regions)
    services.household_return(actor=personas["reviewer"], household=hh, comments=[{"message": "补电话"}])
    edit = reverse("registry:household_edit", args=[hh.pk])
    for url in (reverse("web:dashboard"), reverse("web:queue")):
        body = client_for("clerk").get(url).content.decode()
        assert "户 0001 的采集表已退回" in body
        assert f'href="{edit}"' in body
        assert 'data-queue-count="registry.returned">1<' in body
    outsider = client_for("outsider").get(reverse("web:queue")).content.decode()
    assert "户 0001" not in outsider and "目前没有等待您办理的事项" in outsider


def test_poll_answers_counts_and_items_as_json(client_for, personas, regions):
    hh = submitted_form(personas, regions)
    data = client_for("reviewer").get(reverse("web:queue_poll")).json()
    sources = {x["key"]: x for x in data["sources"]}
    assert sources["registry.review"] == {"key": "registry.review", "label": "待审核的采集表", "count": 1}
    assert data["total"] == sum(x["count"] for x in data["sources"])
    review = reverse("registry:household_review", args=[hh.pk])
    assert [i["url"] for i in data["items"] if i["key"].startswith("registry.review")] == [review]
    assert client_for("outsider").get(reverse("web:queue_poll")).json() == {"total": 0, "sources": [], "items": []}


def test_poll_does_not_push_back_the_idle_timeout(client_for):
    client = client_for("clerk")
    client.get(reverse("web:dashboard"))
    session = Session.objects.get()
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    resp = client.get(reverse("web:queue_poll"))
    assert settings.SESSION_COOKIE_NAME not in resp.cookies
    assert Session.objects.get(pk=session.pk).expire_date < timezone.now() + dt.timedelta(minutes=6)
    client.get(reverse("web:dashboard"))  # a page the user opens does count
    assert Session.objects.get(pk=session.pk).expire_date > timezone.now() + dt.timedelta(minutes=20)


def test_overdue_and_urgent_come_first_then_newest(personas):
    now = timezone.now()
    items = [
        QueueItem("t:old", "旧", "/a", now - dt.timedelta(days=3)),
        QueueItem("t:new", "新", "/b", now),
        QueueItem("t:late", "逾期", "/c", now - dt.timedelta(days=9), due=dt.date(2000, 1, 1)),
        QueueItem("t:urgent", "紧急", "/d", now - dt.timedelta(days=5), urgent=True),
    ]
    register_source("test.order", "测试", lambda user: items)
    try:
        order = [e.item.key for e in work_queue(user=personas["clerk"]).entries if e.source.key == "test.order"]
    finally:
        SOURCES.pop("test.order")
    assert order == ["t:late", "t:urgent", "t:new", "t:old"]
