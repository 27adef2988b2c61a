import pytest
from django.urls import reverse

from pims.exchange.models import Message, State

from .test_handover import living_in_b  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def post(client, name, pk=None, body=None):
    url = reverse(f"api:{name}", args=[pk] if pk else [])
    return client.post(url, body or {}, content_type="application/json")


def test_a_handover_travels_through_every_transition_of_the_api(client_for, regions, living_in_b):  # noqa: F811
    husband, wife = living_in_b
    a, county, b = client_for("operator"), client_for("county"), client_for("outsider")
    resp = post(
        a,
        "exchange_message_create",
        body={
            "kind": "handover",
            "topic": "delegated",
            "receiver_code": regions["township_b"].code,
            "person_id": wife.pk,
        },
    )
    assert resp.status_code == 201, resp.content
    m = resp.json()
    assert m["state"] == "draft" and m["payload"]["name"] == wife.name and "id_cipher" not in m["payload"]
    assert post(a, "exchange_message_send", m["id"]).status_code == 409  # the list is not signed yet
    assert post(a, "exchange_handover_confirm_send", m["id"]).json()["sender_confirmed_by"] == "operator_a"
    assert post(a, "exchange_message_send", m["id"]).json()["state"] == "sent"
    assert post(b, "exchange_message_receive", m["id"]).status_code == 409  # the county forwards first
    route = county.get(reverse("api:exchange_messages"), {"queue": "route"}).json()
    assert [r["id"] for r in route] == [m["id"]]
    assert post(county, "exchange_message_forward", m["id"]).json()["state"] == "forwarded"
    assert post(b, "exchange_message_receive", m["id"]).json()["state"] == "received"
    hl = b.get(reverse("api:exchange_handover_list", args=[m["id"]])).json()
    husband_entry = [e for e in hl["entries"] if e["person_uuid"] == str(husband.uuid)][0]
    bad = post(
        b,
        "exchange_handover_confirm_receive",
        m["id"],
        {"entries": [{"entry_id": husband_entry["id"], "receipt": "refused"}]},
    )
    assert bad.status_code == 422
    ok = post(
        b,
        "exchange_handover_confirm_receive",
        m["id"],
        {"entries": [{"entry_id": husband_entry["id"], "receipt": "refused", "reason": "不在本镇"}]},
    )
    assert ok.status_code == 200 and ok.json()["receiver_confirmed_by"] == "outsider_b"
    again = post(b, "exchange_handover_confirm_receive", m["id"])
    assert again.status_code == 409
    wife.refresh_from_db()
    assert wife.responsible_code == regions["village_b1"].code
    assert Message.objects.get(pk=m["id"]).state == State.CONFIRMED


def test_inquiry_answer_refuse_and_withdraw_through_the_api(client_for, regions, living_in_b):  # noqa: F811
    husband, _ = living_in_b
    a, county = client_for("operator"), client_for("county")
    body = {
        "kind": "inquiry",
        "topic": "registered_elsewhere",
        "receiver_code": regions["county"].code,
        "person_id": husband.pk,
    }
    m = post(a, "exchange_message_create", body=body).json()
    post(a, "exchange_message_send", m["id"])
    assert post(county, "exchange_message_refuse", m["id"], {"reason": ""}).status_code == 422
    post(county, "exchange_message_receive", m["id"])
    feedback = post(county, "exchange_message_answer", m["id"], {"text": "已核实"})
    assert feedback.status_code == 201 and feedback.json()["kind"] == "feedback"
    assert a.get(reverse("api:exchange_message", args=[m["id"]])).json()["state"] == "answered"
    other = post(a, "exchange_message_create", body=body).json()
    assert post(a, "exchange_message_withdraw", other["id"]).json()["state"] == "withdrawn"
    assert post(a, "exchange_message_withdraw", other["id"]).status_code == 409


def test_the_api_hides_other_nodes_messages_and_people(client_for, regions, couple):
    husband = couple[1]
    a = client_for("operator")
    body = {
        "kind": "inquiry",
        "topic": "registered_elsewhere",
        "receiver_code": regions["county"].code,
        "person_id": husband.pk,
    }
    m = post(a, "exchange_message_create", body=body).json()
    outsider = client_for("outsider")
    assert outsider.get(reverse("api:exchange_message", args=[m["id"]])).status_code == 404
    assert post(outsider, "exchange_message_withdraw", m["id"]).status_code == 404
    assert outsider.get(reverse("api:exchange_messages"), {"queue": "all"}).json() == []
    assert (
        post(
            outsider, "exchange_message_create", body={**body, "receiver_code": regions["township_a"].code}
        ).status_code
        == 404
    )
    clerk = client_for("clerk")  # a village clerk sees but does not send
    assert post(clerk, "exchange_message_create", body=body).status_code == 404
