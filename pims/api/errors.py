"""The API's one mapping of domain errors to answers (see pims.lib.errors).

Every operation raises; none maps an error by hand. The answers:

- ``NotFound`` (and ``Http404``) → 404 ``{"detail": "未找到"}`` — the same
  words for missing, out of region and not the caller's to act on;
- ``Invalid`` → 422 ``{"detail", "problems": [{record, field, rule, message,
  …}]}`` plus the path's older members (``violations``, ``errors``);
- any other ``Refused`` → its status with ``{"detail": message}``;
- ``Failure`` → re-raised: a server error, logged by Django.

The schemas below document those bodies; an operation lists them in its
``response`` with `refusals`.
"""

from django.http import Http404
from ninja import Field, NinjaAPI, Schema
from pydantic import ConfigDict

from pims.lib.errors import Failure, Invalid, NotFound, PimsError

NOT_FOUND = "未找到"


class ErrorOut(Schema):
    detail: str


class ProblemOut(Schema):
    model_config = ConfigDict(extra="allow")
    record: str = Field(..., description="记录（行号、事件编号；空为整条请求）")
    field: str = Field(..., description="字段（表单上的名称）")
    rule: str = Field(..., description="规则编号（见 manage.py list_rules）；空为格式问题")
    message: str = Field(..., description="说明记录、字段与规则")


class RefusedOut(Schema):
    model_config = ConfigDict(extra="allow")
    detail: str
    problems: list[ProblemOut]


def refusals(*statuses: int) -> dict[int, type[Schema]]:
    """The error answers an operation can give, for its `response=`."""
    return {s: RefusedOut if s == 422 else ErrorOut for s in statuses}


def body_of(exc: PimsError) -> dict:
    if isinstance(exc, NotFound):
        return {"detail": NOT_FOUND}
    if isinstance(exc, Invalid):
        return exc.body()
    return {"detail": exc.message}


def install(api: NinjaAPI) -> None:
    """Register the one handler of domain errors (and Django's 404) on `api`."""

    @api.exception_handler(PimsError)
    def _domain_error(request, exc: PimsError):
        if isinstance(exc, Failure):
            raise exc
        return api.create_response(request, body_of(exc), status=exc.status)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"detail": NOT_FOUND}, status=404)
