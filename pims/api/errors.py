"""The API's one mapping of domain errors to answers (see pims.lib.errors).

Every operation raises; none maps an error by hand. The answers:

- ``NotFound`` (and ``Http404``) → 404 ``{"detail": "未找到"}`` — the same
  words for missing, out of region and not the caller's to act on;
- ``Invalid`` → 422 ``{"detail", "problems": [{record, field, rule, message,
  …}]}`` plus the path's older members (``violations``, ``errors``);
- any other ``Refused`` → its status with ``{"detail": message}``;
- a request that does not fit the operation's parameters or body schema
  (django-ninja's ``ValidationError``) → 422 in the same body as ``Invalid``,
  one problem per parameter naming it;
- ``Failure`` → re-raised: a server error, logged by Django.

The schemas below document those bodies. An operation lists the refusals its
own rules give (409, 422 …) in its ``response`` with `refusals`; `document`
adds the answers every operation can give — 401 (not signed in), 404 (out of
region or without the capability), 403 (CSRF) on writes, 400 (unparsable
body) and 422 (parameters) where it has inputs — so that the OpenAPI
document lists every status an operation answers.
"""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict

from pims.lib.errors import Failure, Invalid, NotFound, PimsError, Problem

NOT_FOUND = "未找到"
BODY_SOURCES = {"body", "form", "file"}


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


def _field_name(loc: tuple | list) -> str:
    """A pydantic location as the request names it: ("body", "payload",
    "members", 0, "name") → "members[0].name"; ("query", "page") → "page"."""
    parts = list(loc[1:])
    if parts and parts[0] == "payload" and len(parts) > 1:
        parts = parts[1:]  # the operation's argument name is not the client's
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def schema_refusal(errors: list[dict[str, Any]]) -> Invalid:
    """django-ninja's refusal of parameters or body as the one Invalid body."""
    problems = []
    for error in errors:
        field = _field_name(error.get("loc", ()))
        problems.append(
            Problem(
                message=_("“%(field)s”不符合格式：%(reason)s")
                % {"field": field or _("请求体"), "reason": error.get("msg", "")},
                field=field,
                details={"type": str(error.get("type", ""))},
            )
        )
    return Invalid(_("请求的参数或内容不符合格式。"), problems=problems, code="schema")


def install(api: NinjaAPI) -> None:
    """Register the one handler of domain errors (and Django's 404) on `api`."""

    @api.exception_handler(ValidationError)
    def _schema_error(request, exc: ValidationError):
        refusal = schema_refusal(list(exc.errors))
        return api.create_response(request, refusal.body(), status=refusal.status)

    @api.exception_handler(PimsError)
    def _domain_error(request, exc: PimsError):
        if isinstance(exc, Failure):
            raise exc
        return api.create_response(request, body_of(exc), status=exc.status)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"detail": NOT_FOUND}, status=404)


def _sources(operation: Any) -> set[str]:
    return {str(getattr(m, "__ninja_param_source__", "")) for m in operation.models}


def _answers(operation: Any) -> dict[int, type[Schema]]:
    """The answers `operation` can give whatever its own rules are."""
    sources = _sources(operation)
    answers: dict[int, type[Schema]] = {404: ErrorOut}
    if operation.auth_callbacks:
        answers[401] = ErrorOut
        if set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
            answers[403] = ErrorOut  # the session's CSRF check
    if sources:
        answers[422] = RefusedOut
    if sources & BODY_SOURCES:
        answers[400] = ErrorOut
    return answers


def document(api: NinjaAPI) -> None:
    """Add to every operation of `api` the answers in `_answers` it does not
    list yet (call once every router is mounted)."""
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                if len(operation.response_models) == 1 and 200 not in operation.response_models:
                    raise ValueError(f"{operation.view_func.__name__}: a single answer other than 200")
                for status, schema in _answers(operation).items():
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(schema)
