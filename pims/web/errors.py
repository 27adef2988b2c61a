"""The pages' one mapping of domain errors to responses (see pims.lib.errors),
and the error pages themselves.

- ``NotFound`` (and ``Http404``) anywhere in a page → the 404 page;
- an action that redirects either way wraps its service call in
  `refusals_as_messages`: a refusal becomes error messages on the next page;
- a form page catches ``Refused`` to show `exc.messages` beside the kept
  input, answering `exc.status`;
- any refusal that reaches the middleware → the refusal page with its
  messages and status (409, 422 …), never a server error;
- ``Failure`` passes on: a server error, logged by Django, answered by
  `server_error`.

Every error page (400, 403, 404, 405, 500, the CSRF failure) is in Chinese,
in the site's layout, with a way back: the page the user came from when it is ours,
and the dashboard. The middleware renders the 404/403 pages itself, so that
they look the same with DEBUG on (``make run``) as in production; URL misses
and server errors reach Django's handlers (``handler404`` … in config/urls.py).
A page view's bare 405 (``require_POST`` … answer an empty body) becomes the
405 page, keeping its ``Allow`` header; the JSON API (/api/) answers its own.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from pims.lib.errors import NotFound, Refused

log = logging.getLogger(__name__)

# status → (heading, explanation); the pages never say more (a 404 never says
# whether the record exists elsewhere).
ERROR_PAGES = {
    400: (_("请求有误"), _("系统无法处理这个请求，请返回后重新操作。")),
    403: (_("无权访问"), _("您的角色或所属区划不能进行此项操作。")),
    404: (_("页面不存在"), _("找不到这个页面或记录：它可能不存在、已被删除，或不在您的辖区内。")),
    405: (
        _("不能这样打开此页面"),
        _("此页面不接受这种请求方式（例如直接打开了只能提交表单的地址）。请返回原页面，通过页面上的按钮操作。"),
    ),
    500: (_("系统出错"), _("系统处理时出现了错误，已经记录，请稍后再试；如果一再出现，请联系系统管理员。")),
    "csrf": (
        _("页面已过期"),
        _(
            "为了安全，提交需要有效的页面凭据：页面可能打开太久、已在别处退出，或浏览器禁用了 Cookie。请返回、刷新页面后重新提交。"
        ),
    ),
}
ERROR_TEMPLATE = "web/error.html"
# When even the layout cannot be rendered (the database is down …).
PLAIN_500 = (
    '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><title>系统出错</title></head>'
    '<body><h1>系统出错</h1><p>系统处理时出现了错误，请稍后再试。</p><p><a href="/">返回首页</a></p></body></html>'
)


def _came_from(request) -> str:
    """The page the user came from, when it is one of ours (a way back)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def error_page(request, kind, status: int) -> HttpResponse:
    heading, explanation = ERROR_PAGES[kind]
    context = {"status": status, "heading": heading, "explanation": explanation, "back_url": _came_from(request)}
    return render(request, ERROR_TEMPLATE, context, status=status)


def page_not_found(request, exception=None) -> HttpResponse:
    return error_page(request, 404, 404)


def permission_denied(request, exception=None) -> HttpResponse:
    return error_page(request, 403, 403)


def bad_request(request, exception=None) -> HttpResponse:
    return error_page(request, 400, 400)


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: the reason goes to the log, not the page."""
    log.warning("CSRF failure on %s: %s", request.path, reason)
    return error_page(request, "csrf", 403)


def server_error(request) -> HttpResponse:
    """The 500 page in the layout; without the user's menu when the request
    cannot be rendered (its session or user may be what failed), and plain
    when not even the layout can be."""
    heading, explanation = ERROR_PAGES[500]
    context = {"status": 500, "heading": heading, "explanation": explanation, "back_url": ""}
    try:
        return render(request, ERROR_TEMPLATE, context, status=500)
    except Exception:  # noqa: BLE001 - the error page must answer whatever broke
        log.exception("the 500 page could not be rendered with the request")
    try:
        return HttpResponse(loader.get_template(ERROR_TEMPLATE).render(context), status=500)
    except Exception:  # noqa: BLE001
        log.exception("the 500 page could not be rendered")
        return HttpResponse(PLAIN_500, status=500)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and isinstance(response, HttpResponseNotAllowed) and not _is_api(request):
            page = error_page(request, 405, 405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound | Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        if isinstance(exception, Refused):
            return render(request, "web/refused.html", {"refusal": exception}, status=exception.status)
        return None


@contextmanager
def refusals_as_messages(request) -> Iterator[None]:
    """Run an action's service call; a refusal becomes error messages (the
    rest of the block is skipped), a NotFound still answers 404."""
    try:
        yield
    except Refused as exc:
        for m in exc.messages:
            messages.error(request, m)
