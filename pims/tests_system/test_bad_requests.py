"""The bad-input suite's requests (issue 14, "Done when"): malformed
parameters, headers and bodies sent to the real pages and API operations.
Each is refused with a 4xx that names what is wrong, never a server error,
and nothing is stored. Control characters in bodies and query strings are
covered by test_control_characters; the files by
pims/integration/tests/test_bad_files.py."""

import json

import pytest
from django.urls import reverse

from pims.events.models import ChangeReport
from pims.events.tests.conftest import this_month

REPORTS = "/api/events/reports"


def _report_body(regions, **over) -> dict:
    return {"region_code": regions["village_a1"].code, "period": this_month(), **over}


def _problems(resp) -> list[dict]:
    return resp.json().get("problems", [])


def _deep(depth: int) -> str:
    return '{"region_code": ' + "[" * depth + "]" * depth + "}"


# (id, raw body, content type, status, what the answer must name)
BODIES = [
    ("not-json", b"{region_code: 1", "application/json", 400, ""),
    ("invalid-utf8", b'{"region_code": "\xff\xfe"}', "application/json", 400, ""),
    # JSON in UTF-16 is still JSON (RFC 8259 §8.1): read, then judged by the schema.
    ("utf16-json", json.dumps({"region_code": "x"}).encode("utf-16"), "application/json", 422, "period"),
    ("array-not-object", b"[1, 2, 3]", "application/json", 422, ""),
    ("null-body", b"null", "application/json", 422, ""),
    ("number-for-text", b'{"region_code": 12, "period": 202701}', "application/json", 422, "region_code"),
    ("object-for-text", b'{"region_code": {"a": 1}, "period": "2027-01"}', "application/json", 422, "region_code"),
    ("nan", b'{"region_code": NaN, "period": "2027-01"}', "application/json", 422, "region_code"),
    ("huge-number", b'{"region_code": 1e999, "period": "2027-01"}', "application/json", 422, "region_code"),
    ("lone-surrogate", b'{"region_code": "\\ud800", "period": "2027-01"}', "application/json", 422, "region_code"),
    ("surrogate-in-key", b'{"\\udfff": "x", "period": "2027-01"}', "application/json", 422, "<U+DFFF>"),
    ("deep-nesting", _deep(100_000).encode(), "application/json", 400, ""),
    ("text-plain", b'{"region_code": "x"}', "text/plain", 422, "period"),
    ("xml", b"<report><region_code>x</region_code></report>", "application/xml", 400, ""),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "names"), [b[1:] for b in BODIES], ids=[b[0] for b in BODIES]
)
def test_a_malformed_api_body_is_refused_and_nothing_is_filed(client_for, body, content_type, status, names):
    resp = client_for("clerk").post(REPORTS, body, content_type=content_type)
    assert resp.status_code == status, resp.content[:300]
    assert isinstance(resp.json()["detail"], str)
    if names:
        assert names in [p["field"] for p in _problems(resp)]
    assert not ChangeReport.objects.exists()


def test_an_oversized_json_body_is_refused(client_for, settings, regions):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 << 10
    body = json.dumps(_report_body(regions, padding="张" * (100 << 10)))
    resp = client_for("clerk").post(REPORTS, body, content_type="application/json")
    assert resp.status_code in (400, 413) and resp.status_code < 500
    assert not ChangeReport.objects.exists()


def test_a_very_long_field_is_refused_naming_it(client_for, regions):
    resp = client_for("clerk").post(
        REPORTS, _report_body(regions, region_code="2" * 100_000), content_type="application/json"
    )
    assert 400 <= resp.status_code < 500
    assert not ChangeReport.objects.exists()


@pytest.mark.parametrize("period", ["2027-13", "2027-00", "27-01", "2027/01", "二〇二七年一月", "9999-99", "2027-1-1"])
def test_an_impossible_period_is_refused_naming_the_period(client_for, regions, period):
    resp = client_for("clerk").post(REPORTS, _report_body(regions, period=period), content_type="application/json")
    assert resp.status_code == 422, resp.content[:300]
    assert "period" in json.dumps(resp.json(), ensure_ascii=False) or "月份" in resp.json()["detail"]
    assert not ChangeReport.objects.exists()


# Path and query parameters of every shape an int or a code can be broken in.
PATHS = [
    "/api/events/reports/99999999999999999999999",
    "/api/events/reports/-1",
    "/api/events/reports/1.5",
    "/api/events/reports/%EF%BC%91",  # a full-width digit
    "/api/events/persons/99999999999999999999999/timeline",
    "/api/events/persons/-5/timeline",
    "/api/registry/households/99999999999999999999999",
    "/api/registry/persons/99999999999999999999999",
    "/api/regions/%ED%A0%80",  # an encoded lone surrogate
    "/api/regions/" + "9" * 5000,
    "/api/registry/households?page=99999999999999999999999",
    "/api/registry/households?page=-1",
    "/api/registry/households?page=abc",
    "/api/registry/households?page_size=100000000",
    "/api/registry/households?village=%FF%FE",
    "/api/events/population/210124000000?period=2027-13",
    "/api/events/population/210124000000?period=" + "9" * 10_000,
]


@pytest.mark.parametrize("path", PATHS)
def test_a_broken_path_or_query_parameter_is_a_4xx(client_for, path):
    for role in ("clerk", "county"):
        resp = client_for(role).get(path)
        assert 400 <= resp.status_code < 500, (role, path, resp.status_code, resp.content[:300])
        assert isinstance(resp.json()["detail"], str)


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_USER_AGENT": "curl\x00/8"},
        {"HTTP_USER_AGENT": "x" * 20_000},
        {"HTTP_X_FORWARDED_FOR": "\x00"},
        {"HTTP_ACCEPT_LANGUAGE": "zh\x00;q=abc"},
        {"HTTP_REFERER": "http://\x00/"},
    ],
    ids=["nul-user-agent", "huge-user-agent", "nul-forwarded-for", "broken-accept-language", "nul-referer"],
)
def test_control_characters_in_headers_never_break_a_request(client_for, regions, header):
    """Headers are not the register's fields: the answer is what it would be
    without them (the audit log keeps what it records of them escaped)."""
    client = client_for("clerk")
    page = client.get(reverse("registry:household_list"), **header)
    assert page.status_code == 200
    resp = client.post(REPORTS, _report_body(regions), content_type="application/json", **header)
    assert resp.status_code == 201, resp.content[:300]


def test_a_page_with_a_broken_query_parameter_is_not_a_server_error(client_for):
    client = client_for("clerk")
    for query in ("page=abc", "page=-1", "page=99999999999999999999", "page=1e9", "village=%FF", "q=" + "张" * 5000):
        resp = client.get(reverse("registry:household_list") + "?" + query)
        assert resp.status_code < 500, (query, resp.status_code)
