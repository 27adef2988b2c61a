"""The error pages a user meets: Chinese, in the site's layout, with a way back."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from pims.testing.fixtures import login
from pims.web.errors import bad_request, permission_denied

ENGLISH_ERROR_WORDS = ("Not Found", "Forbidden", "Bad Request", "Server Error", "CSRF verification failed")


def assert_error_page(resp, status: int, heading: str, *, signed_in: bool = True) -> str:
    page = resp.content.decode()
    assert resp.status_code == status
    assert f"<h1>{heading}</h1>" in page
    assert 'href="/"' in page and "返回首页" in page  # a way back
    assert 'class="topbar"' in page  # the site's layout
    if signed_in:
        assert 'aria-label="功能模块"' in page  # with the user's menu
    for english in ENGLISH_ERROR_WORDS:
        assert english not in page
    return page


def test_outsider_following_a_link_to_another_townships_data_gets_the_chinese_404_page(client_for, regions):
    outsider = client_for("outsider")
    page = assert_error_page(outsider.get(reverse("regions:detail", args=["210124101000"])), 404, "页面不存在")
    assert "大孤家子" not in page  # nothing of the other township, not even the name asked for


def test_the_404_page_is_the_same_with_debug_on(client_for, regions, settings):
    settings.DEBUG = True  # `make run`: a view's 404 still shows the site's page, not Django's debug page
    assert_error_page(client_for("outsider").get(reverse("regions:detail", args=["210124101000"])), 404, "页面不存在")


def test_an_unknown_address_gets_the_404_page_with_a_way_back_to_where_the_user_was(client_for):
    came_from = "http://testserver" + reverse("web:dashboard")
    page = assert_error_page(client_for("clerk").get("/no/such/page/", HTTP_REFERER=came_from), 404, "页面不存在")
    assert f'href="{came_from}"' in page and "返回上一页" in page


def test_a_link_from_another_site_is_not_offered_as_the_way_back(client_for):
    page = client_for("clerk").get("/no/such/page/", HTTP_REFERER="https://evil.example/x").content.decode()
    assert "evil.example" not in page and "返回上一页" not in page


def test_a_form_posted_without_its_csrf_token_gets_the_chinese_expired_page(personas):
    browser = login(Client(enforce_csrf_checks=True), personas["clerk"])
    resp = browser.post(reverse("accounts:password_change"), {"old_password": "x"})
    assert_error_page(resp, 403, "页面已过期")
    assert "刷新页面后重新提交" in resp.content.decode()


def test_a_request_for_a_host_the_site_does_not_serve_gets_the_chinese_400_page(db):
    resp = Client(HTTP_HOST="evil.example").get("/")
    assert_error_page(resp, 400, "请求有误", signed_in=False)


def test_permission_denied_and_bad_request_pages(personas):
    request = RequestFactory().get("/x")
    request.user = personas["reviewer"]
    assert_error_page(permission_denied(request), 403, "无权访问")
    assert_error_page(bad_request(request), 400, "请求有误")


@pytest.mark.urls("pims.web.tests.urls_boom")
def test_a_fault_of_the_system_gets_the_chinese_500_page(personas):
    browser = login(Client(raise_request_exception=False), personas["clerk"])
    page = assert_error_page(browser.get("/boom/"), 500, "系统出错")
    assert "a fault of the system" not in page and "Traceback" not in page


# --- no asset from elsewhere (the intranet has no internet) ----------------------------------

EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.IGNORECASE)


def template_files() -> list[Path]:
    """The project's templates and the API docs page it serves (django-ninja's)."""
    import ninja

    roots = [Path(settings.BASE_DIR) / "pims" / "templates"]
    ours = sorted(p for root in roots for p in root.rglob("*.html"))
    return [*ours, Path(ninja.__file__).parent / "templates" / "ninja" / "swagger.html"]


def test_no_template_loads_anything_from_another_site():
    files = template_files()
    assert len(files) > 30  # the walk found the templates
    offenders = [f"{p}: {m.group(0)}" for p in files for m in EXTERNAL.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_own_script_or_stylesheet_loads_anything_from_another_site():
    static = Path(settings.STATICFILES_DIRS[0])
    own = [p for p in static.rglob("*") if p.suffix in (".js", ".css") and "vendor" not in p.parts]
    assert own
    offenders = [f"{p}: {m.group(0)}" for p in own for m in EXTERNAL.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_api_docs_page_loads_only_its_vendored_copy(client_for):
    docs = client_for("operator").get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "/static/ninja/swagger-ui.css" in docs
    assert EXTERNAL.search(docs) is None


def test_opening_a_post_only_address_gets_the_chinese_405_page_with_its_allow_header(client_for):
    """E.g. the address of a button typed into the browser: the 405 page, not an empty answer."""
    resp = client_for("clerk").get(reverse("integration:import_resume", args=[1]))
    page = assert_error_page(resp, 405, "不能这样打开此页面")
    assert resp["Allow"] == "POST" and "通过页面上的按钮操作" in page
