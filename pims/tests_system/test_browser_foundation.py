"""The foundation through a real browser: login form, dashboard, scope, 2FA."""

import base64
import re

import pytest
from django_otp.oath import totp

from pims.accounts.roles import Role
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser

HOME = re.compile(r"^https?://[^/]+/$")
MODULE_TITLES = ["基础信息管理", "优质服务", "信息查询", "统计分析", "系统管理"]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    assert "用户登录" in page.locator("h1").inner_text()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_township_operator_signs_in_and_cannot_open_another_township(browser_page):
    tree = build_tree()
    make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"])
    page = browser_page

    sign_in(page, "operator_a")
    page.wait_for_url(HOME)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "大孤家子镇 工作台" in page.locator("h1").inner_text()
    nav = page.locator("nav.modules a")
    assert nav.all_inner_texts() == MODULE_TITLES
    screenshot(page, "dashboard")

    response = page.goto("/regions/210124102000/")
    assert response.status == 404
    assert "三面船镇" not in page.content()

    response = page.goto("/regions/210124101000/")
    assert response.status == 200
    assert "大孤家子村委会" in page.content()


def test_county_admin_sets_up_two_factor_and_gets_in(browser_page):
    tree = build_tree()
    make_user("county_admin", Role.COUNTY_ADMIN, tree["210124000000"])
    page = browser_page

    sign_in(page, "county_admin")
    page.wait_for_url(re.compile(r"/accounts/otp/(\?.*)?$"))
    assert "设置双因素认证" in page.locator("h1").inner_text()
    screenshot(page, "otp-setup")
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    token = f"{totp(base64.b32decode(secret)):06d}"
    page.fill("input[name=token]", token)
    page.click("main button[type=submit]")

    page.wait_for_url(HOME)
    assert "法库县 工作台" in page.locator("h1").inner_text()
    assert page.locator("nav.modules a").all_inner_texts() == MODULE_TITLES
