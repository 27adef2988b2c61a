"""Issue 3 journey: a village clerk enters a household form with two mistakes,
sees both next to their fields, fixes them and submits; the township reviewer
returns it with a comment, the clerk resubmits, the reviewer approves."""

import datetime as dt
import re

import pytest
from django.core.management import call_command

from pims.accounts.roles import Role
from pims.lib.citizen_id import make_citizen_id
from pims.registry.tests.conftest import COLLECTED_ON
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

HEAD_ID = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
WIFE_ID = make_citizen_id("210124", dt.date(1988, 4, 2), 22, "2")


def sign_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def fill_row(page, row, **values):
    for field, value in values.items():
        page.fill(f"input[name='m-{row}-{field}']", value)


def test_clerk_enters_fixes_submits_and_reviewer_returns_then_approves(browser_page):
    tree = build_tree()
    call_command("load_codes", verbosity=0)
    make_user("clerk_a1", Role.VILLAGE_CLERK, tree["210124101200"])
    make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, tree["210124101000"])
    page = browser_page

    sign_in(page, "clerk_a1")
    page.goto("/registry/households/new/?village=210124101200")
    page.fill("#f-number", "0001")
    page.fill("#f-address", "大孤家子村一组 12 号")
    page.fill("#f-collected_on", COLLECTED_ON.isoformat())
    common = {"ethnicity": "汉族", "hukou_type": "2"}
    wrong_check = HEAD_ID[:-1] + ("1" if HEAD_ID[-1] != "1" else "2")
    fill_row(
        page,
        1,
        name="张三",
        citizen_id=wrong_check,
        sex="1",
        birth_date="1985-06-15",
        relationship="02",
        marital_status="21",
        spouse_row="2",
        marriage_date="2010-05-01",
        **common,
    )
    # The mother's birth date is mistyped as 2001: she would have been 11 at the first birth.
    fill_row(
        page,
        2,
        name="李四",
        no_id_reason="1",
        sex="2",
        birth_date="2001-01-01",
        relationship="10",
        marital_status="21",
        spouse_row="1",
        marriage_date="2010-05-01",
        **common,
    )
    fill_row(
        page,
        3,
        name="张小明",
        no_id_reason="1",
        sex="1",
        birth_date="2012-03-08",
        relationship="20",
        marital_status="10",
        mother_row="2",
        father_row="1",
        birth_order="1",
        **common,
    )
    fill_row(
        page,
        4,
        name="张小红",
        no_id_reason="1",
        sex="2",
        birth_date="2015-09-20",
        relationship="30",
        marital_status="10",
        mother_row="2",
        father_row="1",
        birth_order="2",
        **common,
    )
    page.click("button[type=submit]:has-text('保存')")

    id_error = page.get_by_test_id("err-1-citizen_id")
    age_error = page.get_by_test_id("err-3-mother_row")
    assert "校验位错误" in id_error.inner_text()
    assert "11 岁" in age_error.inner_text()
    screenshot(page, "collection-errors")

    page.fill("input[name='m-1-citizen_id']", HEAD_ID)
    page.fill("input[name='m-2-birth_date']", "1988-04-02")
    page.fill("input[name='m-2-no_id_reason']", "")
    page.fill("input[name='m-2-citizen_id']", WIFE_ID)
    page.fill("input[name='m-2-contraceptive_method']", "03")
    page.fill("input[name='m-2-contraception_start']", "2016-01-01")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_url(re.compile(r"/registry/households/\d+/$"))
    assert page.get_by_test_id("form-state").inner_text() == "草稿"
    household_url = page.url
    page.get_by_test_id("submit-household").click()
    assert page.get_by_test_id("form-state").inner_text() == "已提交"

    sign_in(page, "reviewer_a")
    page.goto(household_url)
    page.get_by_test_id("review-household").click()
    page.fill("input[name='c-1-row']", "2")
    page.select_option("select[name='c-1-field']", "phone")
    page.fill("input[name='c-1-message']", "请补充联系电话")
    page.click("button:has-text('退回修改')")
    assert page.get_by_test_id("form-state").inner_text() == "已退回"

    sign_in(page, "clerk_a1")
    page.goto(household_url)
    page.get_by_test_id("edit-household").click()
    assert "请补充联系电话" in page.get_by_test_id("review-comment").inner_text()
    page.fill("input[name='m-2-phone']", "13812345678")
    page.click("button[type=submit]:has-text('保存')")
    page.get_by_test_id("submit-household").click()
    assert page.get_by_test_id("form-state").inner_text() == "已提交"

    sign_in(page, "reviewer_a")
    page.goto(household_url)
    page.get_by_test_id("review-household").click()
    page.click("button:has-text('审核通过')")
    assert page.get_by_test_id("form-state").inner_text() == "已审核通过"
    assert "138****5678" in page.content()
    screenshot(page, "collection-approved")
