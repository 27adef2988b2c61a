"""Writes of the exchange: one service per transition of a message

    draft ──send──▶ sent ──forward (router)──▶ forwarded
                     │                            │
                     └─────────receive────────────┴─▶ received ──answer──▶ answered
    withdrawn ◀── withdraw (sender, before receipt)      refuse (receiver, with reason) ──▶ refused

A 通报 or 反馈 is done when received (its acknowledgement); a 协查 when
answered (the answer is a 反馈 back to the sender); a 交接 when its handover
list is confirmed. Every service takes `actor`, checks state, role and
region, and writes its audit row in its transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from pims.accounts.roles import Cap
from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.regions.models import Level, Region
from pims.registry.models import Person
from pims.registry.selectors import person_list_visible_to

from . import errors, handover, rules
from .models import Kind, Message, Priority, State

DELIVERED = (State.SENT, State.FORWARDED)
BEFORE_RECEIPT = (State.DRAFT, State.SENT, State.FORWARDED)


def message_draft(
    *,
    actor,
    kind: str,
    topic: str,
    receiver_code: str,
    person: Person | None = None,
    text: str = "",
    priority: str = Priority.NORMAL,
    extra: dict | None = None,
) -> Message:
    """A draft from the actor's node to another node about a person the
    actor may see; the payload holds only what the kind and topic need."""
    sender_code = actor.region.code if getattr(actor, "region", None) else ""
    if not rules.acts_for(actor, sender_code) or kind == Kind.FEEDBACK:
        raise NotPermitted(errors.NOT_YOUR_NODE)
    _check_receiver(sender_code, receiver_code)
    if topic not in rules.KIND_TOPICS.get(kind, ()):
        raise _invalid(errors.TOPIC_NOT_FOR_KIND, "topic", kind=Kind(kind).label, topic=topic)
    if person is not None and not person_list_visible_to(user=actor).filter(pk=person.pk).exists():
        raise NotPermitted(errors.PERSON_NOT_VISIBLE)
    if person is None and kind in (Kind.INQUIRY, Kind.HANDOVER):
        raise _invalid(errors.PERSON_REQUIRED, "person", kind=Kind(kind).label)
    with transaction.atomic():
        message = _new(actor, kind, topic, sender_code, receiver_code, person, text, priority, extra)
        message.save()
        _audit(actor, Action.CREATE, message, {"kind": kind, "topic": topic, "receiver": receiver_code})
        if kind == Kind.HANDOVER:
            handover.handover_list_make(actor=actor, message=message)
    return message


def _check_receiver(sender_code: str, receiver_code: str) -> None:
    if receiver_code == sender_code:
        raise _invalid(errors.RECEIVER_IS_SENDER, "receiver_code")
    ok = Region.objects.filter(code=receiver_code, level__in=rules.NODE_LEVELS, valid_to__isnull=True).exists()
    if not ok:
        raise _invalid(errors.RECEIVER_UNKNOWN, "receiver_code", code=str(receiver_code)[:20])


def _invalid(template, field: str, **params) -> Invalid:
    message = template % params if params else template
    return Invalid(template, problems=[Problem(str(message), field=field, record="message")], **params)


def _new(actor, kind, topic, sender_code, receiver_code, person, text, priority, extra) -> Message:
    if person is not None and is_pregnant(person):
        priority = Priority.URGENT  # a currently pregnant priority person is urgent (DOMAIN.md §8)
    values = {**person_values(person), **(extra or {})} if person is not None else dict(extra or {})
    return Message(
        kind=kind,
        topic=topic,
        priority=priority if priority in Priority.values else Priority.NORMAL,
        sender_code=sender_code,
        receiver_code=receiver_code,
        route_code=rules.route_code(sender_code, receiver_code),
        forwarding=rules.needs_forwarding(sender_code, receiver_code),
        person=person,
        person_uuid=person.uuid if person is not None else None,
        payload=rules.minimised(kind, topic, values),
        text=(text or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )


def person_values(person: Person) -> dict:
    """Every value a payload may take from a person (minimised later)."""
    return {
        "uuid": str(person.uuid),
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "id_masked": person.id_masked,
        "registered_code": person.registered_code,
        "residence_code": person.residence_code,
        "responsible_code": person.responsible_code,
        "pregnant": is_pregnant(person),
    }


def is_pregnant(person: Person) -> bool:
    return person.sex == "2" and person.pregnancies.filter(ended=False).exists()


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update().get(pk=message.pk)


def message_send(*, actor, message: Message) -> Message:
    """Send a draft: the due date runs from today (15 or 30 days, from the
    parameter table; a 反馈 has none)."""
    with transaction.atomic():
        message = _locked(message)
        if not rules.acts_for(actor, message.sender_code):
            raise NotPermitted(errors.NOT_YOUR_NODE)
        if message.state != State.DRAFT:
            raise Conflict(errors.NOT_DRAFT)
        handover.check_sendable(message)
        _mark_sent(actor, message)
        message.save()
        _audit(actor, Action.UPDATE, message, {"transition": "send", "due_date": str(message.due_date or "")})
    return message


def _mark_sent(actor, message: Message) -> None:
    now = clock.now()
    message.state = State.SENT
    message.sent_at, message.sent_by = now, _user(actor)
    if message.kind != Kind.FEEDBACK:
        message.due_date = rules.due_date(message.priority, clock.today())
    message.version += 1


def message_forward(*, actor, message: Message) -> Message:
    """The routing node (the county between its townships, the city between
    its counties) passes a sent message on to the receiver."""
    with transaction.atomic():
        message = _locked(message)
        if not rules.acts_for(actor, message.route_code, Cap.ROUTE_EXCHANGE):
            raise NotPermitted(errors.NOT_YOUR_NODE)
        if message.state != State.SENT or not message.forwarding:
            raise Conflict(errors.NOT_AWAITING_ROUTE)
        message.state = State.FORWARDED
        message.forwarded_at, message.forwarded_by = clock.now(), _user(actor)
        message.version += 1
        message.save()
        _audit(actor, Action.UPDATE, message, {"transition": "forward"})
    return message


def delivered(message: Message) -> bool:
    """Whether the message has reached its receiver (and awaits receipt)."""
    if message.state == State.FORWARDED:
        return True
    return message.state == State.SENT and not message.forwarding


def message_receive(*, actor, message: Message) -> Message:
    """The receiver signs for a delivered message; for a 通报 or 反馈 this
    is its acknowledgement and the message is done."""
    with transaction.atomic():
        message = _locked(message)
        _check_receiver_actor(actor, message)
        if not delivered(message):
            raise Conflict(errors.NOT_DELIVERED)
        now = clock.now()
        message.state = State.RECEIVED
        message.received_at, message.received_by = now, _user(actor)
        if message.kind in (Kind.NOTICE, Kind.FEEDBACK):
            message.closed_at, message.closed_by = now, _user(actor)
        message.version += 1
        message.save()
        _audit(actor, Action.UPDATE, message, {"transition": "receive"})
    return message


def _check_receiver_actor(actor, message: Message) -> None:
    if not rules.acts_for(actor, message.receiver_code):
        raise NotPermitted(errors.NOT_YOUR_NODE)


def message_answer(*, actor, message: Message, text: str) -> Message:
    """Answer a received 协查: a 反馈 goes back to the sender (sent at once,
    by the same route) and the 协查 is answered. Returns the 反馈."""
    text = (text or "").strip()
    if not text:
        raise _invalid(errors.ANSWER_REQUIRED, "text")
    with transaction.atomic():
        message = _locked(message)
        _check_receiver_actor(actor, message)
        if message.kind != Kind.INQUIRY or message.state != State.RECEIVED:
            raise Conflict(errors.NOT_ANSWERABLE)
        feedback = Message(
            kind=Kind.FEEDBACK,
            topic=message.topic,
            priority=message.priority,
            sender_code=message.receiver_code,
            receiver_code=message.sender_code,
            route_code=message.route_code,
            forwarding=message.forwarding,
            person=message.person,
            person_uuid=message.person_uuid,
            payload=rules.minimised(Kind.FEEDBACK, message.topic, {"inquiry_uuid": str(message.uuid)}),
            text=text,
            reply_to=message,
            created_by=_user(actor),
            created_at=clock.now(),
        )
        _mark_sent(actor, feedback)
        feedback.save()
        _close(actor, message, State.ANSWERED)
        _audit(actor, Action.CREATE, feedback, {"kind": Kind.FEEDBACK, "reply_to": message.pk})
        _audit(actor, Action.UPDATE, message, {"transition": "answer", "feedback": feedback.pk})
    return feedback


def _close(actor, message: Message, state: str) -> None:
    message.state = state
    message.closed_at, message.closed_by = clock.now(), _user(actor)
    message.version += 1
    message.save()


def message_refuse(*, actor, message: Message, reason: str) -> Message:
    """The receiver sends a message back with a reason (a 交接 refused
    leaves responsibility where it was)."""
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(errors.REASON_REQUIRED, "reason")
    with transaction.atomic():
        message = _locked(message)
        _check_receiver_actor(actor, message)
        refusable = delivered(message) or (
            message.state == State.RECEIVED and message.kind in (Kind.INQUIRY, Kind.HANDOVER)
        )
        if not refusable:
            raise Conflict(errors.NOT_REFUSABLE)
        message.refusal_reason = reason
        _close(actor, message, State.REFUSED)
        _audit(actor, Action.UPDATE, message, {"transition": "refuse"})
    return message


def message_withdraw(*, actor, message: Message) -> Message:
    """The sender takes a message back before it is received."""
    with transaction.atomic():
        message = _locked(message)
        if not rules.acts_for(actor, message.sender_code):
            raise NotPermitted(errors.NOT_YOUR_NODE)
        if message.state not in BEFORE_RECEIPT:
            raise Conflict(errors.NOT_WITHDRAWABLE)
        _close(actor, message, State.WITHDRAWN)
        _audit(actor, Action.UPDATE, message, {"transition": "withdraw"})
    return message


def notice_from_event(
    *, actor, event, receiver_code: str, topic: str, person: Person | None = None, extra: dict | None = None
) -> Message | None:
    """An automatic 通报 about an approved event to another node, sent at
    once and delivered directly (the routing node sees it in its subtree but
    need not forward a notification); None when that place was already
    notified of the event."""
    person = person or event.person or event.related_person
    sender_code = rules.node_code(event.region_code, Level.TOWNSHIP)
    values = {
        "event_uuid": str(event.uuid),
        "event_type": event.event_type,
        "effective_date": str(event.effective_date),
    }
    values.update(extra or {})
    try:
        with transaction.atomic():
            message = _new(actor, Kind.NOTICE, topic, sender_code, receiver_code, person, "", Priority.NORMAL, values)
            message.source_event = event
            message.forwarding = False
            _mark_sent(actor, message)
            message.save()
            _audit(actor, Action.CREATE, message, {"kind": Kind.NOTICE, "event": event.pk, "auto": True})
    except IntegrityError:
        return None
    return message


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _audit(actor, action, message: Message, detail: dict) -> None:
    audit_record(actor=actor, action=action, obj=message, region_code=message.sender_code, detail=detail)
