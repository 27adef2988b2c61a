"""The request guard (issue 14.5): NUL and other control characters are
refused at the boundary, for every page and API operation alike, before any
view, form or schema sees them — one mechanism instead of a check per field.

Query parameters, form fields (names and values), uploaded file names and
JSON bodies (every string, keys included) are scanned with
pims.lib.controlchars. A hit is answered 422 with the field named, through
the one mapping of errors: the API's body (`pims.api.errors.body_of`) under
/api/, the refusal page elsewhere; a JSON body nested too deep for any
parser is refused 400 the same way (it was a RecursionError, a 500). File contents are the file readers'
business (pims.integration.format).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from pims.lib.controlchars import control_fields, describe, has_control, visible
from pims.lib.errors import Invalid, PimsError, Problem, Refused

BODY_TOO_DEEP = _("请求体的嵌套层次过深，无法读取。")
CONTROL_IN_FIELD = _("“%(field)s”中含有不允许的控制字符（%(char)s），请删除后重新提交。")
CONTROL_REFUSED = _("请求中含有不允许的控制字符。")


def _querydict_hits(data, where: str) -> Iterator[tuple[str, str]]:
    for key, values in data.lists():
        if has_control(key):
            yield f"{where}{key}", describe(key)
        for value in values:
            if isinstance(value, str) and has_control(value):
                yield f"{where}{key}", describe(value)
                break


def control_hits(request: HttpRequest) -> list[tuple[str, str]]:
    """(field, character) for every control character the request carries."""
    hits = list(_querydict_hits(request.GET, ""))
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                if request.path.startswith("/api/"):
                    # The API reads request.body itself: keep it readable after
                    # the form is parsed (pages read request.POST/FILES only).
                    request.body  # noqa: B018
                hits += _querydict_hits(request.POST, "")
                for key, uploads in request.FILES.lists():
                    for upload in uploads:
                        name = str(getattr(upload, "name", "") or "")
                        if has_control(name):
                            hits.append((key, describe(name)))
            except (MultiPartParserError, RequestDataTooBig):
                pass  # the view's own parsing answers a broken or oversized body
        elif content_type == "application/json":
            hits += _json_hits(request)
    return hits


def _json_hits(request: HttpRequest) -> list[tuple[str, str]]:
    """The JSON body's hits. A body nested past the interpreter's recursion
    limit parses nowhere (nor in the API's own parser): refused here, 400."""
    try:
        body = json.loads(request.body or b"null")
        return list(control_fields(body))
    except (ValueError, UnicodeDecodeError):
        return []  # the schema answers a malformed body
    except RecursionError:
        raise Refused(BODY_TOO_DEEP) from None


def refusal(hits: list[tuple[str, str]]) -> Invalid:
    return Invalid(
        CONTROL_REFUSED,
        problems=[
            Problem(message=str(CONTROL_IN_FIELD % {"field": visible(f), "char": c}), field=visible(f)) for f, c in hits
        ],
        code="control_characters",
    )


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            hits = control_hits(request)
        except Refused as exc:
            return self.refused(request, exc)
        if not hits:
            return self.get_response(request)
        return self.refused(request, refusal(hits))

    @staticmethod
    def refused(request: HttpRequest, exc: PimsError) -> HttpResponse:
        if request.path.startswith("/api/"):
            from pims.api.errors import body_of

            return JsonResponse(body_of(exc), status=exc.status, json_dumps_params={"ensure_ascii": False})
        return render(request, "web/refused.html", {"refusal": exc}, status=exc.status)
