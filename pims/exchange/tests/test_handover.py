import io
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from pims.audit.models import Action, AuditEntry
from pims.events.handlers import base
from pims.exchange import errors, handover, services
from pims.exchange.models import HandoverEntry, HandoverList, Kind, Message, Receipt, State, Topic
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry.tests.factories import make_child

pytestmark = pytest.mark.django_db


def draft_handover(actor, receiver, person, topic=Topic.DELEGATED, text="委托现居住地管理"):
    return services.message_draft(
        actor=actor, kind=Kind.HANDOVER, topic=topic, receiver_code=receiver.code, person=person, text=text
    )


def sent_handover(personas, regions, person):
    """A 交接 from township A to township B, signed by A, forwarded by the county."""
    m = draft_handover(personas["operator"], regions["township_b"], person)
    handover.handover_confirm_send(actor=personas["operator"], handover_list=m.handover_list)
    services.message_send(actor=personas["operator"], message=m)
    services.message_forward(actor=personas["county"], message=m)
    return m


@pytest.fixture
def living_in_b(couple, regions):
    """Township A's couple (and a child), living in village B1."""
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=husband, name="交接子女")
    for p in (husband, wife):
        p.residence_code = regions["village_b1"].code
        p.save()
    return husband, wife


def test_the_list_holds_each_person_of_the_couple_with_the_section_8_fields(personas, regions, living_in_b):
    husband, wife = living_in_b
    m = draft_handover(personas["operator"], regions["township_b"], wife)
    hl = m.handover_list
    assert hl.number.startswith("210124101-")
    entries = list(hl.entries.all())
    assert [e.person for e in entries] == [wife, husband]
    f = entries[0].fields
    assert f["name"] == wife.name and f["id_masked"] == wife.id_masked and "id_cipher" not in f
    assert f["spouse"]["name"] == husband.name and f["children"][0]["name"] == "交接子女"
    assert f["reason"] == "委托现居住地管理" and all(e.receipt == Receipt.PENDING for e in entries)


def test_a_handover_is_sent_only_after_the_sender_confirms_its_list(personas, regions, living_in_b):
    m = draft_handover(personas["operator"], regions["township_b"], living_in_b[1])
    with pytest.raises(Conflict) as exc:
        services.message_send(actor=personas["operator"], message=m)
    assert exc.value.template is errors.LIST_NOT_SENDER_CONFIRMED
    with pytest.raises(NotPermitted):
        handover.handover_confirm_send(actor=personas["outsider"], handover_list=m.handover_list)
    hl = handover.handover_confirm_send(actor=personas["operator"], handover_list=m.handover_list)
    assert hl.sender_confirmed_by == personas["operator"] and hl.sender_confirmed_at is not None
    assert services.message_send(actor=personas["operator"], message=m).state == State.SENT


def test_confirmed_handover_moves_responsibility_of_received_persons_only(personas, regions, living_in_b):
    husband, wife = living_in_b
    m = sent_handover(personas, regions, wife)
    hl = m.handover_list
    e_wife, e_husband = hl.entries.all()
    with pytest.raises(Invalid):  # a queried person needs a reason
        handover.handover_confirm_receive(
            actor=personas["outsider"], handover_list=hl, decisions={e_husband.pk: (Receipt.QUERIED, "")}
        )
    handover.handover_confirm_receive(
        actor=personas["outsider"], handover_list=hl, decisions={e_husband.pk: (Receipt.QUERIED, "未见本人")}
    )
    wife.refresh_from_db()
    husband.refresh_from_db()
    assert wife.responsible_code == regions["village_b1"].code == wife.handover_code
    assert husband.responsible_code == regions["village_a1"].code and husband.handover_code == ""
    m.refresh_from_db()
    hl.refresh_from_db()
    assert m.state == State.CONFIRMED and hl.receiver_confirmed_by == personas["outsider"]
    e_husband.refresh_from_db()
    assert e_husband.receipt == Receipt.QUERIED and e_husband.reason == "未见本人"
    moved = AuditEntry.objects.filter(action=Action.UPDATE, object_id=str(wife.pk), detail__field="responsible_code")
    assert moved.count() == 1
    # The old side keeps the trace: township A still sees the list.
    assert HandoverList.objects.filter(message__sender_code=regions["township_a"].code).count() == 1


def test_the_seed_rule_does_not_undo_a_confirmed_handover(personas, regions, living_in_b):
    husband, wife = living_in_b
    m = sent_handover(personas, regions, wife)
    handover.handover_confirm_receive(actor=personas["outsider"], handover_list=m.handover_list)
    wife.refresh_from_db()

    class State_:
        def open_spell(self, p, kind):
            return object()

        def spouse(self, p):
            return husband

    assert base.responsible_code(wife, State_()) == regions["village_b1"].code


def test_refused_handover_leaves_responsibility_unchanged(personas, regions, living_in_b):
    husband, wife = living_in_b
    m = sent_handover(personas, regions, wife)
    hl = m.handover_list
    decisions = {e.pk: (Receipt.REFUSED, "不在本镇居住") for e in hl.entries.all()}
    handover.handover_confirm_receive(actor=personas["outsider"], handover_list=hl, decisions=decisions)
    m.refresh_from_db()
    wife.refresh_from_db()
    assert m.state == State.REFUSED and "不在本镇居住" in m.refusal_reason
    assert wife.responsible_code == regions["village_a1"].code and wife.handover_code == ""


def test_a_second_confirmation_is_a_conflict(personas, regions, living_in_b):
    m = sent_handover(personas, regions, living_in_b[1])
    handover.handover_confirm_receive(actor=personas["outsider"], handover_list=m.handover_list)
    with pytest.raises(Conflict) as exc:
        handover.handover_confirm_receive(actor=personas["outsider"], handover_list=m.handover_list)
    assert exc.value.template is errors.LIST_CONFIRMED
    with pytest.raises(NotPermitted):  # only the receiver confirms
        handover.handover_confirm_receive(actor=personas["operator"], handover_list=m.handover_list)


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_give_one_success_and_one_conflict(personas, regions, living_in_b):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    m = sent_handover(personas, regions, living_in_b[1])
    results: list[str] = []
    barrier = threading.Barrier(2)

    def confirm():
        try:
            barrier.wait()
            handover.handover_confirm_receive(actor=personas["outsider"], handover_list=m.handover_list)
            results.append("ok")
        except Conflict:
            results.append("409")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["409", "ok"]
    assert HandoverEntry.objects.filter(receipt=Receipt.RECEIVED).count() == 2


def test_list_page_pdf_and_confirmations_through_the_pages(client_for, personas, regions, living_in_b):
    import pypdf

    husband, wife = living_in_b
    m = draft_handover(personas["operator"], regions["township_b"], wife)
    operator = client_for("operator")
    page = operator.get(reverse("exchange:handover_list", args=[m.pk])).content.decode()
    assert 'data-testid="action-confirm-send"' in page and wife.name in page
    operator.post(reverse("exchange:handover_confirm_send", args=[m.pk]))
    operator.post(reverse("exchange:message_send", args=[m.pk]))
    client_for("county").post(reverse("exchange:message_forward", args=[m.pk]))
    b = client_for("outsider")
    page = b.get(reverse("exchange:handover_list", args=[m.pk])).content.decode()
    assert 'data-testid="action-confirm-receive"' in page
    e_wife, e_husband = m.handover_list.entries.all()
    b.post(
        reverse("exchange:handover_confirm_receive", args=[m.pk]),
        {
            f"receipt-{e_wife.pk}": "received",
            f"receipt-{e_husband.pk}": "refused",
            f"reason-{e_husband.pk}": "户籍待核",
        },
    )
    wife.refresh_from_db()
    assert wife.responsible_code == regions["village_b1"].code
    pdf = b.get(reverse("exchange:handover_pdf", args=[m.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "交接清单" in text and m.handover_list.number in text and wife.name in text
    assert "户籍待核" in text and personas["operator"].username in text and personas["outsider"].username in text
    assert AuditEntry.objects.filter(action=Action.EXPORT, detail__number=m.handover_list.number).count() == 1
    assert Message.objects.get(pk=m.pk).state == State.CONFIRMED


def test_the_list_records_reward_and_support_with_the_paying_place(personas, regions, living_in_b):
    from pims.lib import clock
    from pims.programmes.models import Cycle, Entry, Programme, Stage

    husband, wife = living_in_b
    year = clock.today().year
    for programme, y in ((Programme.JIANGFU, year - 1), (Programme.JIANGFU, year), (Programme.TEFU, year)):
        cycle, _ = Cycle.objects.get_or_create(
            programme=programme,
            year=y,
            county_code=regions["county"].code,
            defaults={"opened_at": clock.now(), "opened_by": personas["county"]},
        )
        stage = Stage.CONFIRMED if programme == Programme.JIANGFU else Stage.REJECTED
        Entry.objects.create(
            cycle=cycle, person=wife, village_code=regions["village_a1"].code, stage=stage, outcome="pass"
        )
    m = draft_handover(personas["operator"], regions["township_b"], wife)
    f = m.handover_list.entries.get(person=wife).fields
    assert [(b["programme"], b["year"], b["paying"], b["paying_code"]) for b in f["benefits"]] == [
        (Programme.JIANGFU, year, True, regions["county"].code)
    ]
    assert m.handover_list.entries.get(person=husband).fields["benefits"] == []
    page = _page(personas, m)
    assert "农村部分计划生育家庭奖励扶助" in page and "发放中" in page and regions["county"].name in page
    assert "计划生育家庭特别扶助" not in page  # a rejected entry is no benefit


def _page(personas, m):
    from django.test import Client

    c = Client()
    c.force_login(personas["operator"])
    return c.get(reverse("exchange:handover_list", args=[m.pk])).content.decode()
