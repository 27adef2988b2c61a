"""Issue 15.1 journey: the work queue (待办) across a clerk → reviewer day.

The reviewer finds the submitted form on her queue and returns it; the clerk
is told of the new item, finds it on her queue, fixes the form and submits it
again; the reviewer's queue shows it, her approval clears both queues; the
outsider's queue shows none of it."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pims.accounts.roles import Role
from pims.registry import services
from pims.registry.tests.conftest import family_form
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


# The form's items; the clerk's and reviewer's queues also hold the month's
# change reports due (pims.events.queues), which this journey leaves alone.
FORM_ITEM = re.compile("份采集表待审核|户 0001 的采集表已退回")


def queue_text(page) -> str:
    return page.locator("#work-queue").inner_text()


def menu_badge(page):
    return page.locator(".queue-link [data-queue-total]")


def test_returned_form_travels_through_both_queues_and_approval_clears_them(browser_page):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    clerk = make_user("clerk_a1", Role.VILLAGE_CLERK, tree["210124101200"])
    make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"])
    make_user("outsider_b", Role.TOWNSHIP_OPERATOR, tree["210124102000"])
    data, members = family_form("210124101200")
    household = services.household_save(actor=clerk, data=data, members=members, village_code="210124101200").household
    assert services.household_submit(actor=clerk, household=household).saved
    page = browser_page

    sign_in(page, "clerk_a1")
    assert not FORM_ITEM.search(queue_text(page))
    page.wait_for_load_state("networkidle")  # the page script has noted what this browser has seen

    sign_in(page, "reviewer_a")
    assert "大孤家子村委会：1 份采集表待审核" in queue_text(page)
    expect(menu_badge(page)).to_have_text(re.compile(r"^[1-9][0-9]*$"))
    page.locator("#work-queue").get_by_role("link", name=re.compile("份采集表待审核")).click()
    page.wait_for_url(re.compile(rf"/registry/households/{household.pk}/review/$"))
    page.fill("input[name='c-1-row']", "2")
    page.select_option("select[name='c-1-field']", "phone")
    page.fill("input[name='c-1-message']", "请补充联系电话")
    page.click("button:has-text('退回修改')")
    page.goto("/")
    assert not FORM_ITEM.search(queue_text(page))

    sign_in(page, "clerk_a1")
    assert "户 0001 的采集表已退回" in queue_text(page)
    notice = page.locator("#queue-notice")
    notice.wait_for(state="visible")
    assert "户 0001 的采集表已退回" in notice.inner_text()
    expect(menu_badge(page)).to_have_text(re.compile(r"^[1-9][0-9]*$"))
    screenshot(page, "queue-clerk-returned")
    page.locator("#work-queue").get_by_role("link", name=re.compile("户 0001 的采集表已退回")).click()
    page.wait_for_url(re.compile(rf"/registry/households/{household.pk}/edit/$"))
    assert "请补充联系电话" in page.get_by_test_id("review-comment").inner_text()
    page.fill("input[name='m-2-phone']", "13812345678")
    page.click("button[type=submit]:has-text('保存')")
    page.get_by_test_id("submit-household").click()
    assert page.get_by_test_id("form-state").inner_text() == "已提交"
    page.goto("/")
    assert not FORM_ITEM.search(queue_text(page))
    # Seen once, the notice does not come back on the next page.
    page.wait_for_load_state("networkidle")
    assert page.locator("#queue-notice").is_hidden()

    sign_in(page, "reviewer_a")
    page.locator("#work-queue").get_by_role("link", name=re.compile("份采集表待审核")).click()
    page.click("button:has-text('审核通过')")
    assert page.get_by_test_id("form-state").inner_text() == "已审核通过"
    page.goto("/")
    assert not FORM_ITEM.search(queue_text(page))

    sign_in(page, "clerk_a1")
    assert not FORM_ITEM.search(queue_text(page))

    sign_in(page, "outsider_b")
    assert "目前没有等待您办理的事项" in queue_text(page)
    page.goto("/queue/")
    assert "0001" not in page.locator("main").inner_text()
    page.wait_for_load_state("networkidle")
    assert menu_badge(page).is_hidden()
