import datetime as dt

import pytest

from pims.registry.tests.factories import make_child

from .conftest import register

pytestmark = pytest.mark.django_db


def test_apply_cancel_and_verify_through_the_api(client_for, couple):
    _, husband, _ = couple
    operator = client_for("operator")
    resp = operator.post(
        "/api/documents/registrations",
        {"person_id": husband.pk, "due_date": "2027-06-01", "commitment": True},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["birth_order"] == 1 and body["state"] == "issued"
    again = operator.post(
        "/api/documents/registrations",
        {"person_id": husband.pk, "due_date": "2027-06-01", "commitment": True},
        content_type="application/json",
    )
    assert again.status_code == 409
    bad = operator.post(
        f"/api/documents/registrations/{body['id']}/cancel", {"reason": ""}, content_type="application/json"
    )
    assert bad.status_code == 422
    ok = operator.post(
        f"/api/documents/registrations/{body['id']}/cancel", {"reason": "error"}, content_type="application/json"
    )
    assert ok.json()["state"] == "cancelled"


def test_a_refused_application_names_the_field_and_rule(client_for, couple):
    resp = client_for("operator").post(
        "/api/documents/registrations",
        {"person_id": couple[1].pk, "due_date": "2027-06-01"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert "commitment" in resp.content.decode()


def test_the_honour_path_through_the_api_and_the_outsider(client_for, couple, personas):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    resp = client_for("clerk").post(
        "/api/documents/honour", {"child_id": child.pk, "commitment": True}, content_type="application/json"
    )
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert client_for("outsider").get(f"/api/documents/honour/{pk}").status_code == 404
    assert (
        client_for("outsider")
        .post(f"/api/documents/honour/{pk}/township", {"approve": True}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        client_for("reviewer")
        .post(f"/api/documents/honour/{pk}/township", {"approve": True}, content_type="application/json")
        .status_code
        == 200
    )
    issued = client_for("county").post(
        f"/api/documents/honour/{pk}/county", {"approve": True}, content_type="application/json"
    )
    assert issued.json()["state"] == "issued" and issued.json()["number"]
    reg = register(personas["operator"], husband)
    assert client_for("outsider").get(f"/api/documents/registrations/{reg.pk}").status_code == 404
    assert client_for("outsider").get("/api/documents/registrations").json() == []
