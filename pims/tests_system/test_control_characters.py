"""Issue 14.5: NUL and other control characters are refused at the boundary
(pims.web.input) — query parameters, form fields and API bodies alike — with
422 naming the field, never a 500 and never a silent acceptance."""

import pytest
from django.urls import reverse

from pims.events.tests.conftest import this_month
from pims.lib.controlchars import control_fields, has_control

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]


@pytest.mark.parametrize("char", CONTROLS)
def test_api_body_with_control_character_is_422_naming_the_field(client_for, regions, char):
    resp = client_for("clerk").post(
        "/api/events/reports",
        {"region_code": regions["village_a1"].code + char, "period": this_month()},
        content_type="application/json",
    )
    assert resp.status_code == 422
    body = resp.json()
    assert [p["field"] for p in body["problems"]] == ["region_code"]
    assert "region_code" in body["problems"][0]["message"]


def test_nested_api_body_names_the_path(client_for):
    resp = client_for("clerk").post(
        "/api/events/reports",
        {"region_code": "x", "members": [{"name": "张\x00三"}]},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["problems"][0]["field"] == "members[0].name"


@pytest.mark.parametrize("char", CONTROLS)
def test_query_parameter_with_control_character_is_422(client_for, char):
    resp = client_for("clerk").get(reverse("registry:household_list"), {"village": char})
    assert resp.status_code == 422
    assert "village" in resp.content.decode()


def test_query_parameter_name_is_checked_too(client_for):
    resp = client_for("clerk").get(reverse("registry:household_list") + "?vil%00lage=1")
    assert resp.status_code == 422


def test_change_report_form_with_nul_is_422_and_nothing_is_filed(client_for, regions):
    from pims.events.models import ChangeReport

    resp = client_for("clerk").post(
        reverse("events:report_list"), {"region": regions["village_a1"].code, "period": "2027-02\x00"}
    )
    assert resp.status_code == 422
    assert "period" in resp.content.decode()
    assert not ChangeReport.objects.exists()


def test_login_form_with_nul_is_422(client):
    resp = client.post(reverse("accounts:login"), {"username": "clerk\x00", "password": "x"})
    assert resp.status_code == 422


def test_tab_and_newlines_stay_allowed(client_for):
    resp = client_for("clerk").get(reverse("registry:household_list"), {"q": "a\tb\r\nc"})
    assert resp.status_code == 200


def test_malformed_json_is_left_to_the_schema(client_for):
    resp = client_for("clerk").post("/api/events/reports", "{not json", content_type="application/json")
    assert resp.status_code in (400, 422)


def test_control_fields_walks_keys_and_values():
    assert list(control_fields({"a": ["ok", "b\x00"], "k\x01": 1})) == [("a[1]", "U+0000"), ("k\x01", "U+0001")]
    assert not has_control("正常\t文本\n")


def test_form_encoded_api_post_still_reaches_the_api(client_for):
    resp = client_for("clerk").post("/api/events/reports", {"region_code": "x"})  # multipart, as the walk sends
    assert resp.status_code != 500
