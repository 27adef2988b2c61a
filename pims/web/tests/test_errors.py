"""The pages' one mapping of domain errors (pims.web.errors)."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from pims.lib.errors import Conflict, Failure, Invalid, NotPermitted, Problem
from pims.web.errors import DomainErrorMiddleware, refusals_as_messages


@pytest.fixture
def request_(db, personas):
    request = RequestFactory().post("/x")
    request.user = personas["clerk"]
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_not_permitted_becomes_the_404_page(request_):
    middleware = DomainErrorMiddleware(lambda r: HttpResponse())
    for exc in (NotPermitted("another township's report"), Http404()):
        resp = middleware.process_exception(request_, exc)
        assert resp.status_code == 404 and "页面不存在" in resp.content.decode()
        assert "another township" not in resp.content.decode()  # the message is for logs only


def test_a_refusal_reaching_the_middleware_is_the_refusal_page_with_its_status(request_):
    middleware = DomainErrorMiddleware(lambda r: HttpResponse())
    resp = middleware.process_exception(request_, Invalid("未保存", problems=[Problem("母亲年龄不足（规则 R12）")]))
    assert resp.status_code == 422 and "母亲年龄不足（规则 R12）" in resp.content.decode()
    assert middleware.process_exception(request_, Failure("key")) is None  # a server error
    assert middleware.process_exception(request_, ValueError()) is None


def test_an_action_shows_its_refusal_as_messages_and_skips_the_rest(request_):
    done = []
    with refusals_as_messages(request_):
        raise Conflict("%(period)s 已经月结", period="2026-05")
        done.append(True)  # pragma: no cover
    assert not done and [str(m) for m in get_messages(request_)] == ["2026-05 已经月结"]
    with pytest.raises(NotPermitted), refusals_as_messages(request_):
        raise NotPermitted("not yours")
