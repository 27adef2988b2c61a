"""The API's one mapping of domain errors: statuses and bodies, and no
operation that maps an error by hand."""

import ast
from pathlib import Path

import pytest
from django.http import Http404
from ninja import NinjaAPI
from ninja.testing import TestClient

from pims.api.errors import install
from pims.lib.errors import Conflict, Failure, Invalid, NotPermitted, Problem

PIMS = Path(__file__).resolve().parents[2]


@pytest.fixture
def client():
    api = NinjaAPI(urls_namespace="errors_test")
    install(api)
    raises = {
        "missing": Http404(),
        "not-permitted": NotPermitted("the reviewer of another township"),
        "conflict": Conflict("%(period)s 已经月结", period="2026-05"),
        "invalid": Invalid(
            "未保存", problems=[Problem("母亲年龄不足", rule="R12", field="birth_date", record="第 2 行")]
        ),
        "failure": Failure("no key opens this value"),
    }

    @api.get("/{what}")
    def boom(request, what: str):
        raise raises[what]

    return TestClient(api)


def test_missing_and_not_permitted_are_the_same_404(client):
    for what in ("missing", "not-permitted"):
        resp = client.get(f"/{what}")
        assert (resp.status_code, resp.json()) == (404, {"detail": "未找到"})  # the message never leaves


def test_refusals_answer_their_status_and_message(client):
    resp = client.get("/conflict")
    assert (resp.status_code, resp.json()) == (409, {"detail": "2026-05 已经月结"})
    resp = client.get("/invalid")
    assert resp.status_code == 422
    assert resp.json()["problems"] == [
        {"record": "第 2 行", "field": "birth_date", "rule": "R12", "message": "母亲年龄不足"}
    ]


def test_a_failure_is_a_server_error(client):
    with pytest.raises(Failure):
        client.get("/failure")


DOMAIN_KINDS = {"NotFound", "NotPermitted", "Refused", "Conflict", "Invalid", "Unavailable", "PimsError"}


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return set()
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(n).rsplit(".", 1)[-1] for n in nodes}


def test_no_api_operation_maps_errors_by_hand():
    """Operations raise; pims.api.errors answers. An `except` of a domain
    error in an API module would be a second mapping."""
    found = []
    for path in sorted(PIMS.glob("*/api.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler):
                names = _caught(node)
                if names & DOMAIN_KINDS or any(n.endswith(("Error", "Refused", "Denied")) for n in names):
                    found.append(f"{path.relative_to(PIMS.parent)}:{node.lineno} except {', '.join(sorted(names))}")
    assert not found, "\n".join(found)


def test_no_page_turns_a_domain_error_into_404_by_hand():
    """Pages let NotFound reach the middleware (pims.web.errors); they catch
    only refusals, to show them beside the kept input."""
    found = []
    for path in sorted(PIMS.glob("*/*views.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and _caught(node) & {"NotFound", "NotPermitted", "PimsError"}:
                found.append(f"{path.relative_to(PIMS.parent)}:{node.lineno}")
    assert not found, "\n".join(found)
