import datetime as dt
import json

import pytest

from pims.lib.citizen_id import make_citizen_id
from pims.registry import personal, services
from pims.registry.models import FormState, Household, Person

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")

BASE = "/api/registry"
HEAD_ID = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
WIFE_ID = make_citizen_id("210124", dt.date(1988, 4, 2), 22, "2")


def body(village_code, **extra):
    data, members = family_form(village_code)
    members[1]["contraceptive_method"] = "03"  # IUD (the code manual's coding)
    return {**data, "village": village_code, "members": members, **extra}


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def put(client, url, payload):
    return client.put(url, json.dumps(payload), content_type="application/json")


def saved_household(personas, regions, **kw) -> Household:
    b = body(regions["village_a1"].code)
    b.pop("village")
    members = b.pop("members")
    b.pop("confirm_warnings", None)
    result = services.household_save(
        actor=personas["clerk"], data=b, members=members, village_code=regions["village_a1"].code, confirm_warnings=True
    )
    assert result.saved, [v.message for v in result.violations]
    assert result.household is not None
    return result.household


def test_clerk_creates_household_and_gets_masked_ids(client_for, regions):
    resp = post(client_for("clerk"), f"{BASE}/households", body(regions["village_a1"].code, confirm_warnings=True))
    assert resp.status_code == 201, resp.content.decode()
    out = resp.json()
    hh = Household.objects.get(pk=out["id"])
    assert hh.members.count() == 4 and out["form_state"] == FormState.DRAFT and out["version"] == 1
    assert [m["row"] for m in out["members"]] == [1, 2, 3, 4]
    assert out["members"][0]["citizen_id"] == HEAD_ID[:6] + "********" + HEAD_ID[-4:]
    text = resp.content.decode()
    assert HEAD_ID not in text and WIFE_ID not in text


def test_bad_check_digit_is_422_naming_rule_row_and_field(client_for, regions):
    b = body(regions["village_a1"].code)
    b["members"][0]["citizen_id"] = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    resp = post(client_for("clerk"), f"{BASE}/households", b)
    assert resp.status_code == 422
    out = resp.json()
    assert out["detail"]
    i03 = [v for v in out["violations"] if v["rule"] == "I03"]
    assert i03 and i03[0]["row"] == 1 and i03[0]["field"] == "citizen_id" and i03[0]["severity"] == "error"
    assert Household.objects.count() == 0 and Person.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"village": "210124101200", "number": 1, "members": []},  # wrong type
        {"village": "210124101200", "number": "0001", "members": "x"},
        {"village": "210124101200", "number": "0001", "members": [{"row": "a"}]},
        {"village": "210124101200", "number": "0001", "members": [{"row": 1, "nickname": "x"}]},  # extra key
        {"village": "210124101200", "number": "0001", "members": [{"row": 1}, {"row": 1}]},  # duplicate row
        {"village": "210124101200", "number": "0001", "members": [{"row": 0}]},
        {"village": "210124101200", "number": "0001", "members": [], "unknown": 1},
        {"number": "0001", "members": []},  # missing village
        [1, 2, 3],
        None,
        "text",
    ],
)
def test_wrong_shapes_are_422_never_500(client_for, regions, payload):
    resp = post(client_for("clerk"), f"{BASE}/households", payload)
    assert resp.status_code == 422, resp.content.decode()
    assert Household.objects.count() == 0


def test_unparseable_json_is_refused_not_500(client_for, regions):
    resp = client_for("clerk").post(f"{BASE}/households", "{not json", content_type="application/json")
    assert resp.status_code in (400, 422)
    assert Household.objects.count() == 0


def test_anonymous_gets_401(client, regions):
    assert client.get(f"{BASE}/households").status_code == 401


def test_update_with_stale_version_is_409_and_nothing_changes(client_for, personas, regions):
    hh = saved_household(personas, regions)
    clerk = client_for("clerk")
    current = clerk.get(f"{BASE}/households/{hh.pk}").json()
    payload = {k: current[k] for k in ("number", "hh_type", "address", "form_number", "volume_number")}
    members = [{k: v for k, v in m.items() if k != "person_id"} for m in current["members"]]
    payload.update(collected_on=str(current["collected_on"] or ""), members=members, confirm_warnings=True)

    fresh = put(clerk, f"{BASE}/households/{hh.pk}", {**payload, "address": "新地址 1 号", "version": hh.version})
    assert fresh.status_code == 200, fresh.content.decode()
    assert fresh.json()["version"] == hh.version + 1
    # The masked ID sent back unchanged keeps the stored number.
    assert Person.objects.get(household=hh, row=1).id_index == personal.citizen_id_index(HEAD_ID)

    stale = put(clerk, f"{BASE}/households/{hh.pk}", {**payload, "address": "另一个地址", "version": hh.version})
    assert stale.status_code == 409
    assert "已被其他用户修改" in stale.json()["detail"]
    hh.refresh_from_db()
    assert hh.address == "新地址 1 号" and hh.version == 2


def test_workflow_submit_return_approve(client_for, personas, regions):
    hh = saved_household(personas, regions)
    clerk, reviewer = client_for("clerk"), client_for("reviewer")
    resp = post(clerk, f"{BASE}/households/{hh.pk}/submit", {"confirm_warnings": True})
    assert resp.status_code == 200 and resp.json()["form_state"] == FormState.SUBMITTED
    assert post(clerk, f"{BASE}/households/{hh.pk}/submit", {}).status_code == 409  # already submitted
    # A clerk may not review: the operation does not exist for them.
    assert post(clerk, f"{BASE}/households/{hh.pk}/approve", {}).status_code == 404
    resp = post(
        reviewer,
        f"{BASE}/households/{hh.pk}/return",
        {"comments": [{"row": 2, "field": "education", "message": "请补填文化程度"}]},
    )
    assert resp.status_code == 200 and resp.json()["form_state"] == FormState.RETURNED
    post(clerk, f"{BASE}/households/{hh.pk}/submit", {"confirm_warnings": True})
    resp = post(reviewer, f"{BASE}/households/{hh.pk}/approve", {})
    assert resp.status_code == 200, resp.content.decode()
    assert resp.json()["form_state"] == FormState.APPROVED


def test_outsider_gets_404_for_township_a(client_for, personas, regions):
    hh = saved_household(personas, regions)
    person = hh.members.get(row=1)
    outsider = client_for("outsider")
    assert outsider.get(f"{BASE}/households/{hh.pk}").status_code == 404
    assert outsider.get(f"{BASE}/households/999999").status_code == 404  # missing looks the same
    assert put(
        outsider, f"{BASE}/households/{hh.pk}", {**body(regions["village_a1"].code), "version": 1}
    ).status_code in (404, 422)
    b = body(regions["village_a1"].code)
    b.pop("village")
    assert put(outsider, f"{BASE}/households/{hh.pk}", {**b, "version": 1}).status_code == 404
    assert post(outsider, f"{BASE}/households/{hh.pk}/submit", {}).status_code == 404
    assert post(outsider, f"{BASE}/households/{hh.pk}/approve", {}).status_code == 404
    assert post(outsider, f"{BASE}/households/{hh.pk}/return", {"comments": [{"message": "x"}]}).status_code == 404
    assert outsider.get(f"{BASE}/persons/{person.pk}").status_code == 404
    # Creating in a village outside the jurisdiction: the village does not exist for them.
    assert post(outsider, f"{BASE}/households", body(regions["village_a1"].code)).status_code == 404
    hh.refresh_from_db()
    assert hh.form_state == FormState.DRAFT and hh.version == 1


def test_list_is_scoped_paginated_and_masked(client_for, personas, regions):
    hh = saved_household(personas, regions)
    assert client_for("outsider").get(f"{BASE}/households").json() == {"count": 0, "page": 1, "pages": 1, "items": []}
    resp = client_for("reviewer").get(
        f"{BASE}/households", {"village": regions["village_a1"].code, "state": "draft", "page_size": 10}
    )
    out = resp.json()
    assert out["count"] == 1 and out["items"][0]["id"] == hh.pk and out["items"][0]["head_name"] == "张三"
    assert HEAD_ID not in resp.content.decode()
    assert client_for("reviewer").get(f"{BASE}/households", {"state": "approved"}).json()["count"] == 0
    assert client_for("reviewer").get(f"{BASE}/households", {"state": "bogus"}).status_code == 422
    assert client_for("auditor").get(f"{BASE}/households").json()["count"] == 0


def test_households_and_persons_carry_their_uuid(client_for, regions):
    clerk = client_for("clerk")
    out = post(clerk, f"{BASE}/households", body(regions["village_a1"].code, confirm_warnings=True)).json()
    hh = Household.objects.get(uuid=out["uuid"])
    assert hh.pk == out["id"]
    assert [i["uuid"] for i in clerk.get(f"{BASE}/households").json()["items"]] == [out["uuid"]]
    head = hh.members.get(row=1)
    assert clerk.get(f"{BASE}/persons/{head.pk}").json()["uuid"] == str(head.uuid)


def test_person_is_masked(client_for, personas, regions):
    hh = saved_household(personas, regions)
    head = hh.members.get(row=1)
    resp = client_for("operator").get(f"{BASE}/persons/{head.pk}")
    assert resp.status_code == 200
    assert resp.json()["citizen_id"] == head.id_masked
    assert HEAD_ID not in resp.content.decode()
    assert client_for("reviewer").get(f"{BASE}/persons/{2**70}").status_code in (404, 422)
