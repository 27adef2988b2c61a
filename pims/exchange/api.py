"""The exchange JSON API: a node's queues, a message, and every transition
(draft, send, forward, receive, answer, refuse, withdraw, and the handover
list's two confirmations) — for other departments' systems and the province.

Reads go through the same selectors as the pages, writes through the same
services, so the same scope rule holds: a user sees the messages to and from
their subtree, and a message outside it is 404, as are the actions the
caller may not take for the node (the pages answer the same). 409 for a
message in the wrong state, 422 for missing or wrong input; the one mapping
is pims.api.errors.
"""

import datetime as dt
from typing import Annotated
from uuid import UUID

from django.http import Http404
from ninja import Field, Router, Schema, Status

from pims.accounts.roles import Cap, has_capability
from pims.api.errors import refusals
from pims.lib import clock
from pims.lib.identity import UUID_DESCRIPTION
from pims.registry.selectors import access_person

from . import handover, selectors, services
from .models import HandoverList, Kind, Message, Priority, Receipt

router = Router(tags=["exchange"])
Pk = Annotated[int, Field(ge=1, le=2**63 - 1)]


class MessageOut(Schema):
    id: int
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    kind: str = Field(..., description="inquiry 协查 / notice 通报 / feedback 反馈 / handover 交接")
    topic: str
    priority: str
    state: str
    sender_code: str
    receiver_code: str
    route_code: str = Field(..., description="转递单位；空为出省（经上报数据包）")
    forwarding: bool
    person_uuid: UUID | None
    payload: dict
    text: str
    due_date: dt.date | None
    overdue: bool
    refusal_reason: str
    reply_to_uuid: UUID | None
    source_event_uuid: UUID | None
    sent_at: dt.datetime | None
    received_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class MessageIn(Schema):
    kind: str = Field(..., description="inquiry / notice / handover（反馈由 answer 产生）")
    topic: str
    receiver_code: str = Field(..., description="接收单位（乡镇及以上）的 12 位区划代码")
    person_id: int | None = Field(None, description="对象人员（须在本辖区可见）")
    text: str = ""
    priority: str = Priority.NORMAL


class TextIn(Schema):
    text: str


class ReasonIn(Schema):
    reason: str


class HandoverEntryOut(Schema):
    id: int
    row: int
    person_uuid: UUID
    fields: dict
    receipt: str
    reason: str
    responsible_before: str
    responsible_after: str


class HandoverListOut(Schema):
    number: str
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    message_uuid: UUID
    made_on: dt.date
    sender_confirmed_at: dt.datetime | None
    sender_confirmed_by: str
    receiver_confirmed_at: dt.datetime | None
    receiver_confirmed_by: str
    entries: list[HandoverEntryOut]


class DecisionIn(Schema):
    entry_id: int
    receipt: str = Field(Receipt.RECEIVED, description="received 已接收 / queried 有疑问 / refused 拒收")
    reason: str = Field("", description="有疑问或拒收时必填")


class ConfirmReceiveIn(Schema):
    entries: list[DecisionIn] = Field(default_factory=list, description="未列出的人员视为已接收")


def _message_out(m: Message) -> dict:
    m = Message.objects.select_related("reply_to", "source_event").get(pk=m.pk)
    return {
        "id": m.pk,
        "uuid": m.uuid,
        "kind": m.kind,
        "topic": m.topic,
        "priority": m.priority,
        "state": m.state,
        "sender_code": m.sender_code,
        "receiver_code": m.receiver_code,
        "route_code": m.route_code,
        "forwarding": m.forwarding,
        "person_uuid": m.person_uuid,
        "payload": m.payload,
        "text": m.text,
        "due_date": m.due_date,
        "overdue": selectors.is_overdue(m, clock.today()),
        "refusal_reason": m.refusal_reason,
        "reply_to_uuid": m.reply_to.uuid if m.reply_to else None,
        "source_event_uuid": m.source_event.uuid if m.source_event else None,
        "sent_at": m.sent_at,
        "received_at": m.received_at,
        "closed_at": m.closed_at,
        "version": m.version,
    }


def _list_out(hl: HandoverList) -> dict:
    hl = HandoverList.objects.select_related("message", "sender_confirmed_by", "receiver_confirmed_by").get(pk=hl.pk)
    return {
        "number": hl.number,
        "uuid": hl.uuid,
        "message_uuid": hl.message.uuid,
        "made_on": hl.made_on,
        "sender_confirmed_at": hl.sender_confirmed_at,
        "sender_confirmed_by": hl.sender_confirmed_by.username if hl.sender_confirmed_by else "",
        "receiver_confirmed_at": hl.receiver_confirmed_at,
        "receiver_confirmed_by": hl.receiver_confirmed_by.username if hl.receiver_confirmed_by else "",
        "entries": [
            {
                "id": e.pk,
                "row": e.row,
                "person_uuid": e.person_uuid,
                "fields": e.fields,
                "receipt": e.receipt,
                "reason": e.reason,
                "responsible_before": e.responsible_before,
                "responsible_after": e.responsible_after,
            }
            for e in hl.entries.all()
        ],
    }


def _viewer(request) -> None:
    if not has_capability(request.auth, Cap.VIEW_EXCHANGE):
        raise Http404


@router.get("/messages", response=list[MessageOut], url_name="exchange_messages", summary="本单位的信息队列")
def message_list(request, queue: str = "inbox", kind: str = ""):
    """queue: inbox 收件 / outbox 发件 / route 待转递 / overdue 逾期 / all 全部 (at most 500, newest first)."""
    _viewer(request)
    if queue not in selectors.QUEUES:
        raise Http404
    qs = selectors.queue(request.auth, queue)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    return [_message_out(m) for m in qs[:500]]


@router.get("/messages/{pk}", response=MessageOut, url_name="exchange_message")
def message_detail(request, pk: Pk):
    _viewer(request)
    return _message_out(selectors.access_message(request.auth, pk))


@router.post(
    "/messages",
    response={201: MessageOut, **refusals(404, 409, 422)},
    url_name="exchange_message_create",
    summary="新建信息（草稿）",
)
def message_create(request, payload: MessageIn):
    if not has_capability(request.auth, Cap.EXCHANGE):
        raise Http404
    person = access_person(request.auth, payload.person_id) if payload.person_id else None
    m = services.message_draft(
        actor=request.auth,
        kind=payload.kind,
        topic=payload.topic,
        receiver_code=payload.receiver_code.strip(),
        person=person,
        text=payload.text,
        priority=payload.priority,
    )
    return Status(201, _message_out(m))


def _transition(name: str, summary: str, service):
    @router.post(
        f"/messages/{{pk}}/{name}",
        response={200: MessageOut, **refusals(404, 409, 422)},
        url_name=f"exchange_message_{name}",
        summary=summary,
    )
    def op(request, pk: Pk):
        _viewer(request)
        m = selectors.access_message(request.auth, pk)
        return _message_out(service(actor=request.auth, message=m))

    op.__name__ = f"message_{name}"
    return op


message_send = _transition("send", "发出草稿（起算反馈期限）", services.message_send)
message_forward = _transition("forward", "转递（县在乡镇间、市在县间）", services.message_forward)
message_receive = _transition("receive", "签收（通报、反馈即为确认收到）", services.message_receive)
message_withdraw = _transition("withdraw", "撤回（签收前）", services.message_withdraw)


@router.post(
    "/messages/{pk}/answer",
    response={201: MessageOut, **refusals(404, 409, 422)},
    url_name="exchange_message_answer",
    summary="反馈已签收的协查（返回反馈）",
)
def message_answer(request, pk: Pk, payload: TextIn):
    _viewer(request)
    m = selectors.access_message(request.auth, pk)
    return Status(201, _message_out(services.message_answer(actor=request.auth, message=m, text=payload.text)))


@router.post(
    "/messages/{pk}/refuse",
    response={200: MessageOut, **refusals(404, 409, 422)},
    url_name="exchange_message_refuse",
    summary="退回（须说明原因）",
)
def message_refuse(request, pk: Pk, payload: ReasonIn):
    _viewer(request)
    m = selectors.access_message(request.auth, pk)
    return _message_out(services.message_refuse(actor=request.auth, message=m, reason=payload.reason))


@router.get("/messages/{pk}/handover-list", response=HandoverListOut, url_name="exchange_handover_list")
def handover_list(request, pk: Pk):
    _viewer(request)
    return _list_out(selectors.access_handover_list(request.auth, pk))


@router.post(
    "/messages/{pk}/handover-list/confirm-send",
    response={200: HandoverListOut, **refusals(404, 409)},
    url_name="exchange_handover_confirm_send",
    summary="移交方确认交接清单（发出前）",
)
def handover_confirm_send(request, pk: Pk):
    _viewer(request)
    hl = selectors.access_handover_list(request.auth, pk)
    return _list_out(handover.handover_confirm_send(actor=request.auth, handover_list=hl))


@router.post(
    "/messages/{pk}/handover-list/confirm-receive",
    response={200: HandoverListOut, **refusals(404, 409, 422)},
    url_name="exchange_handover_confirm_receive",
    summary="接收方确认交接清单（逐人接收状态）",
)
def handover_confirm_receive(request, pk: Pk, payload: ConfirmReceiveIn):
    _viewer(request)
    hl = selectors.access_handover_list(request.auth, pk)
    decisions = {d.entry_id: (d.receipt, d.reason) for d in payload.entries}
    return _list_out(handover.handover_confirm_receive(actor=request.auth, handover_list=hl, decisions=decisions))
