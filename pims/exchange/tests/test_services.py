import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from pims.audit.models import AuditEntry
from pims.exchange import errors, rules, selectors, services
from pims.exchange.models import Kind, Message, Priority, State, Topic
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.params.selectors import param_value
from pims.registry.tests.factories import make_household, make_person, make_pregnancy

from .conftest import inquiry

pytestmark = pytest.mark.django_db


def test_routing_follows_the_seed_rule():
    a, b, county = "210124101000", "210124102000", "210124000000"
    other_county, other_city = "210181101000", "210201101000"
    assert rules.route_code(a, b) == county and rules.needs_forwarding(a, b)
    assert rules.route_code(a, other_county) == "210100000000"  # the city routes between counties
    assert rules.route_code(a, other_city) == "210000000000"
    assert rules.route_code(a, "130100000000") == ""  # another province: leaves in a bundle
    assert rules.route_code(a, county) == county and not rules.needs_forwarding(a, county)


def test_normal_and_urgent_due_dates_come_from_the_parameter_table(personas, regions, couple, travel):
    travel(dt.date(2027, 3, 3))
    _, husband, wife = couple
    normal = inquiry(personas["operator"], regions["township_b"], husband)
    assert normal.priority == Priority.NORMAL
    assert normal.due_date == dt.date(2027, 4, 2) == clock.today() + dt.timedelta(days=30)
    assert param_value("exchange.due_days.normal", clock.today()) == 30
    make_pregnancy(wife)  # a currently pregnant woman: urgent, 15 days, whatever was chosen
    urgent = inquiry(personas["operator"], regions["township_b"], wife, priority=Priority.NORMAL)
    assert urgent.priority == Priority.URGENT and urgent.due_date == dt.date(2027, 3, 18)


def test_inquiry_is_routed_received_and_answered_by_feedback(personas, regions, couple):
    _, husband, _ = couple
    m = inquiry(personas["operator"], regions["township_b"], husband, text="请核实户籍")
    assert m.state == State.SENT and m.forwarding and m.route_code == regions["county"].code
    with pytest.raises(Conflict) as exc:  # not delivered until the county forwards it
        services.message_receive(actor=personas["outsider"], message=m)
    assert exc.value.template is errors.NOT_DELIVERED
    assert list(selectors.queue(personas["county"], "route")) == [m]
    assert not selectors.queue(personas["outsider"], "inbox").exists()
    services.message_forward(actor=personas["county"], message=m)
    assert list(selectors.queue(personas["outsider"], "inbox")) == [m]
    services.message_receive(actor=personas["outsider"], message=m)
    feedback = services.message_answer(actor=personas["outsider"], message=m, text="已核实：户籍在本镇")
    m.refresh_from_db()
    assert m.state == State.ANSWERED and m.closed_at is not None
    assert feedback.kind == Kind.FEEDBACK and feedback.reply_to == m and feedback.state == State.SENT
    assert feedback.sender_code == regions["township_b"].code and feedback.receiver_code == regions["township_a"].code
    assert feedback.payload == {"inquiry_uuid": str(m.uuid)}
    services.message_forward(actor=personas["county"], message=feedback)
    services.message_receive(actor=personas["operator"], message=feedback)
    feedback.refresh_from_db()
    assert feedback.state == State.RECEIVED and feedback.closed_at is not None


def test_overdue_follows_the_clock_and_ends_with_the_answer(personas, regions, couple, travel):
    travel(dt.date(2027, 3, 3))
    m = inquiry(personas["operator"], regions["county"], couple[1])  # to its own county: no forwarding
    assert not m.forwarding
    travel(dt.date(2027, 4, 2))  # the due day itself is not overdue
    assert not selectors.is_overdue(m) and selectors.queue(personas["county"], "overdue").count() == 0
    assert selectors.queue_counts(personas["county"])["due_soon"] == 1
    travel(dt.date(2027, 4, 3))
    assert selectors.is_overdue(m)
    assert list(selectors.queue(personas["county"], "overdue")) == [m]
    assert selectors.queue_counts(personas["operator"])["overdue"] == 1
    services.message_receive(actor=personas["county"], message=m)
    assert selectors.queue(personas["county"], "overdue").count() == 1  # received is not answered
    services.message_answer(actor=personas["county"], message=m, text="已办")
    m.refresh_from_db()
    assert not selectors.is_overdue(m) and selectors.queue(personas["county"], "overdue").count() == 0


def test_refusal_needs_a_reason_and_closes_the_message(personas, regions, couple):
    m = inquiry(personas["operator"], regions["county"], couple[1])
    with pytest.raises(Invalid) as exc:
        services.message_refuse(actor=personas["county"], message=m, reason="  ")
    assert exc.value.template is errors.REASON_REQUIRED
    services.message_refuse(actor=personas["county"], message=m, reason="非本县人员")
    m.refresh_from_db()
    assert m.state == State.REFUSED and m.refusal_reason == "非本县人员"
    with pytest.raises(Conflict):
        services.message_answer(actor=personas["county"], message=m, text="x")
    with pytest.raises(Conflict):
        services.message_withdraw(actor=personas["operator"], message=m)


def test_withdrawal_only_before_receipt_and_only_by_the_sender(personas, regions, couple):
    first = inquiry(personas["operator"], regions["county"], couple[1])
    with pytest.raises(NotPermitted):
        services.message_withdraw(actor=personas["county"], message=first)
    services.message_withdraw(actor=personas["operator"], message=first)
    first.refresh_from_db()
    assert first.state == State.WITHDRAWN
    with pytest.raises(Conflict):
        services.message_receive(actor=personas["county"], message=first)
    second = inquiry(personas["operator"], regions["county"], couple[1])
    services.message_receive(actor=personas["county"], message=second)
    with pytest.raises(Conflict) as exc:
        services.message_withdraw(actor=personas["operator"], message=second)
    assert exc.value.template is errors.NOT_WITHDRAWABLE


def test_only_the_receiver_answers_and_only_the_router_forwards(personas, regions, couple):
    m = inquiry(personas["operator"], regions["township_b"], couple[1])
    for actor in (personas["operator"], personas["reviewer"], personas["outsider"]):
        with pytest.raises(NotPermitted):
            services.message_forward(actor=actor, message=m)
    services.message_forward(actor=personas["county"], message=m)
    for actor in (personas["operator"], personas["county"], personas["clerk"]):
        with pytest.raises(NotPermitted):
            services.message_receive(actor=actor, message=m)


def test_bad_input_is_refused(personas, regions, couple):
    _, husband, _ = couple
    operator = personas["operator"]
    with pytest.raises(Invalid) as exc:
        inquiry(operator, regions["township_a"], husband)
    assert exc.value.template is errors.RECEIVER_IS_SENDER
    with pytest.raises(Invalid) as exc:
        inquiry(operator, regions["village_b1"], husband)  # a village is not an exchange node
    assert exc.value.template is errors.RECEIVER_UNKNOWN
    regions["township_b"].valid_to = dt.date(2024, 1, 1)
    regions["township_b"].save()
    with pytest.raises(Invalid):  # retired
        inquiry(operator, regions["township_b"], husband)
    with pytest.raises(Invalid) as exc:
        inquiry(operator, regions["county"], husband, kind=Kind.INQUIRY, topic=Topic.DELEGATED)
    assert exc.value.template is errors.TOPIC_NOT_FOR_KIND
    with pytest.raises(NotPermitted):  # the clerk reads the queue but does not send
        inquiry(personas["clerk"], regions["county"], husband)
    stranger = make_person(make_household(regions["village_b1"]), name="外镇人员")
    with pytest.raises(NotPermitted) as exc:  # a person the sender may not see
        inquiry(operator, regions["county"], stranger)
    assert exc.value.template is errors.PERSON_NOT_VISIBLE
    assert not Message.objects.exists()


def test_payload_carries_only_the_fields_the_kind_needs(personas, regions, couple):
    _, husband, _ = couple
    husband.id_masked, husband.phone_masked = "210124********0011", "138****0000"
    husband.save()
    m = inquiry(personas["operator"], regions["county"], husband)
    assert set(m.payload) <= set(rules.payload_fields(Kind.INQUIRY, Topic.REGISTERED_ELSEWHERE))
    assert m.payload["uuid"] == str(husband.uuid) and m.payload["id_masked"] == "210124********0011"
    assert "phone" not in str(m.payload) and "pregnant" not in m.payload and m.person_uuid == husband.uuid


def test_scope_a_township_sees_only_its_own_messages(personas, regions, couple):
    to_county = inquiry(personas["operator"], regions["county"], couple[1])
    to_b = inquiry(personas["operator"], regions["township_b"], couple[1])
    assert set(selectors.message_list_visible_to(user=personas["county"])) == {to_county, to_b}
    assert set(selectors.message_list_visible_to(user=personas["outsider"])) == {to_b}
    assert not selectors.message_list_visible_to(user=personas["clerk"]).exists()
    assert not selectors.message_list_visible_to(user=personas["sysadmin"]).exists()
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.access_message(personas["outsider"], to_county.pk)


def test_every_transition_is_audited(personas, regions, couple):
    before = AuditEntry.objects.count()
    m = inquiry(personas["operator"], regions["township_b"], couple[1])
    services.message_forward(actor=personas["county"], message=m)
    services.message_receive(actor=personas["outsider"], message=m)
    services.message_answer(actor=personas["outsider"], message=m, text="ok")
    rows = AuditEntry.objects.order_by("seq")[before:]
    transitions = [r.detail.get("transition") or r.detail.get("kind") for r in rows]
    assert transitions == ["inquiry", "send", "forward", "receive", "feedback", "answer"]
    assert all(r.object_type.endswith("message") for r in rows)


def test_the_same_event_never_notifies_a_place_twice(personas, regions, couple):
    from pims.events.models import Event

    _, husband, _ = couple
    event = Event.objects.create(
        event_type="move_in",
        person=husband,
        region_code=regions["village_a1"].code,
        effective_date=clock.today(),
        report_date=clock.today(),
        source="village",
    )
    args = {"actor": personas["reviewer"], "event": event, "receiver_code": regions["township_b"].code}
    first = services.notice_from_event(**args, topic=Topic.MOVE_IN)
    assert first is not None and first.state == State.SENT and first.payload["event_uuid"] == str(event.uuid)
    assert services.notice_from_event(**args, topic=Topic.MOVE_IN) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            kind=Kind.NOTICE,
            topic=Topic.MOVE_IN,
            sender_code=first.sender_code,
            receiver_code=first.receiver_code,
            route_code=first.route_code,
            source_event=event,
            created_at=clock.now(),
        )
    assert Message.objects.filter(source_event=event).count() == 1
