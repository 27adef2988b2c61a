"""Issue 4 journey: a village clerk files the month's change report with a
birth and a death; the township reviewer approves it; the person timelines
and the household page show the changes."""

import re

import pytest
from django.core.management import call_command

from pims.accounts.roles import Role
from pims.lib import clock
from pims.registry.models import Person
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

from .conftest import approved_household, members

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def add_event(page, event_type, **fields):
    page.select_option("#f-type", event_type)
    page.get_by_test_id("add-event").click()
    for name, value in fields.items():
        selector = f"[name='{name}']"
        if page.locator(f"select{selector}").count():
            page.select_option(f"select{selector}", str(value))
        else:
            page.fill(selector, str(value))
    page.get_by_test_id("save-event").click()
    page.wait_for_url(re.compile(r"/events/reports/\d+/$"))


def test_clerk_files_birth_and_death_and_reviewer_approves(browser_page):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    personas = {
        "clerk": make_user("clerk_a1", Role.VILLAGE_CLERK, tree["210124101200"]),
        "operator": make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"]),
        "reviewer": make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"]),
    }
    hh = approved_household(personas, tree["210124101200"])
    family = members(hh)
    today = clock.today().isoformat()
    page = browser_page

    sign_in(page, "clerk_a1")
    page.goto("/events/reports/")
    page.get_by_test_id("create-report").click()
    page.wait_for_url(re.compile(r"/events/reports/\d+/$"))
    report_url = page.url
    assert page.get_by_test_id("report-state").inner_text() == "草稿"

    add_event(
        page,
        "birth",
        effective_date=today,
        related_person=family["李四"].pk,
        name="张小刚",
        sex="1",
        relationship="20",
        certificate_no="Q210000001",
    )
    # The head dies: the form refuses it until a new head is named.
    add_event_refused = page
    add_event_refused.select_option("#f-type", "death")
    page.get_by_test_id("add-event").click()
    page.select_option("select[name='person']", str(family["张三"].pk))
    page.get_by_test_id("save-event").click()
    assert "必须在“新户主”中指定" in page.get_by_test_id("event-errors").inner_text()
    page.select_option("select[name='new_head_id']", str(family["李四"].pk))
    page.get_by_test_id("save-event").click()
    page.wait_for_url(re.compile(r"/events/reports/\d+/$"))
    rows = page.get_by_test_id("events").inner_text()
    assert "出生" in rows and "死亡" in rows and "张小刚" in rows
    page.get_by_test_id("submit-report").click()
    assert page.get_by_test_id("report-state").inner_text() == "已提交"
    screenshot(page, "change-report-submitted")

    sign_in(page, "reviewer_a")
    page.goto(report_url)
    page.get_by_test_id("review-report").click()
    page.get_by_test_id("approve-report").click()
    page.wait_for_url(report_url)
    assert page.get_by_test_id("report-state").inner_text() == "已审核通过"

    child = Person.objects.get(name="张小刚")
    page.goto(f"/events/persons/{child.pk}/timeline/")
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "出生" in timeline and "开始户籍" in timeline
    page.goto(f"/events/persons/{family['张三'].pk}/timeline/")
    assert page.get_by_test_id("person-status").inner_text() == "死亡"
    assert "死亡" in page.get_by_test_id("timeline").inner_text()
    page.goto(f"/events/persons/{family['李四'].pk}/timeline/")
    assert "出生（作为母亲）" in page.get_by_test_id("timeline").inner_text()
    page.goto(f"/events/households/{hh.pk}/history/")
    history = page.get_by_test_id("household-history").inner_text()
    assert "张小刚" in history and "死亡" in history
    screenshot(page, "household-history")
    page.goto(f"/registry/households/{hh.pk}/")
    assert "张小刚" in page.content()
