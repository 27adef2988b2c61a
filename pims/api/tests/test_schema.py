"""The OpenAPI document tells the truth (issue 14.10): one schema per name,
every answer an operation gives listed with the body it has, and a request
that does not fit the schema refused in the one error body."""

import typing

import pytest
from pydantic import BaseModel

from pims.api.api import api
from pims.events.tests.conftest import this_month


def _models(annotation, seen: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def _operations():
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            yield from path_view.operations


def test_no_two_schemas_share_a_name():
    """django-ninja names a component after its class: two classes of one name
    would be one schema, and one operation would violate it."""
    seen: set[type] = set()
    for operation in _operations():
        for wrapper in operation.response_models.values():
            if wrapper is not None and hasattr(wrapper, "model_fields"):
                _models(wrapper.model_fields["response"].annotation, seen)
        for params in operation.models:
            _models(params, seen)
    by_name: dict[str, set[str]] = {}
    for model in seen:
        if (
            not model.__name__.startswith(("NinjaResponseSchema", "Input"))
            and model.__module__ != "ninja.params.models"
        ):
            by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def test_every_operation_lists_the_common_answers(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            answers = {str(s) for s in op["responses"]}
            assert {"401", "404"} <= answers, f"{method} {path}: {sorted(answers)}"
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in answers, f"{method} {path}"
            if op.get("requestBody"):
                assert {"400", "403"} <= answers, f"{method} {path}"


def test_the_change_report_and_the_statistics_report_are_two_schemas(document):
    schemas = document["components"]["schemas"]
    assert "events" in schemas["ChangeReportOut"]["properties"]
    assert "sections" in schemas["StatsReportOut"]["properties"]


def test_a_request_outside_the_schema_is_refused_naming_each_field(client_for):
    resp = client_for("clerk").post("/api/events/reports", {"period": this_month()}, content_type="application/json")
    assert resp.status_code == 422
    body = resp.json()
    assert isinstance(body["detail"], str)
    assert [p["field"] for p in body["problems"]] == ["region_code"]
    assert "region_code" in body["problems"][0]["message"]


def test_a_path_parameter_outside_its_range_names_the_parameter(client_for):
    resp = client_for("clerk").get("/api/events/reports/0")
    assert resp.status_code == 422 and resp.json()["problems"][0]["field"] == "report_id"


def test_an_unparsable_body_is_a_documented_400(client_for):
    resp = client_for("clerk").post("/api/events/reports", b"\x00", content_type="application/json")
    assert resp.status_code == 400 and isinstance(resp.json()["detail"], str)
