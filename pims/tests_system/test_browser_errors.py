"""Error pages and the API docs through a real browser, with no internet."""

import re

import pytest

from pims.accounts.roles import Role
from pims.testing.browser import screenshot
from pims.testing.fixtures import PASSWORD, build_tree, make_user

pytestmark = pytest.mark.browser


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def offline(page, live_url: str) -> list[str]:
    """Abort every request that leaves the live server; return their URLs."""
    elsewhere: list[str] = []

    def route(r):
        if r.request.url.startswith(live_url):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return elsewhere


def test_outsider_gets_the_chinese_404_page_and_a_way_back(browser_page, live_server):
    tree = build_tree()
    make_user("outsider_b", Role.TOWNSHIP_OPERATOR, tree["210124102000"])
    page = browser_page
    sign_in(page, "outsider_b")
    own = live_server.url + "/regions/210124102000/"  # her own township: the page she came from
    response = page.goto("/regions/210124101000/", referer=own)  # 大孤家子镇: not hers
    assert response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert "大孤家子" not in page.content()
    screenshot(page, "error-404")
    page.get_by_test_id("back").click()
    page.wait_for_url(re.compile(r"/regions/210124102000/$"))


def test_the_api_docs_render_without_internet(browser_page, live_server):
    tree = build_tree()
    make_user("operator_a", Role.TOWNSHIP_OPERATOR, tree["210124101000"])
    page = browser_page
    elsewhere = offline(page, live_server.url)
    sign_in(page, "operator_a")
    page.goto("/api/docs")
    page.locator(".opblock").first.wait_for()  # Swagger UI drew the operations
    assert "人口信息管理系统 API" in page.locator(".info .title").inner_text()
    screenshot(page, "api-docs")
    assert elsewhere == []
