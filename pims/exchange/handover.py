"""The handover list (交接清单) of a 交接: made with the draft, confirmed by
the sending node (its signature; only then may the 交接 be sent) and then by
the receiving node, which gives each person a receipt state (received /
queried / refused with a reason). A received person's responsibility moves
to the receiving node; a queried or refused one stays where it was, and the
old side keeps the list and the message as its read-only trace.

The list holds, per person, the fields of DOMAIN.md §8 and nothing more:
the ID number only masked (the receiver finds the record by its UUID).
"""

from __future__ import annotations

from django.db import transaction

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.documents.selectors import documents_of
from pims.lib import clock
from pims.lib.errors import Conflict, Invalid, NotPermitted, Problem
from pims.programmes.selectors import benefits_of
from pims.regions.models import LEVEL_DIGITS, Region
from pims.registry.models import Marriage, Person
from pims.registry.selectors import person_list_visible_to

from . import errors, rules
from .models import HandoverEntry, HandoverList, Kind, Message, Receipt, State

# The per-person fields of DOMAIN.md §8 (basic, marriage and spouse,
# children, services — reward and support with the paying place, and the
# documents' numbers, so that nobody pays twice); the list's own fields are
# the message's.
PERSON_FIELDS = (
    "name",
    "id_masked",
    "sex",
    "birth_date",
    "ethnicity",
    "hukou_type",
    "registered_code",
    "residence_code",
    "phone_masked",
    "marital_status",
)
DECIDED = (Receipt.RECEIVED, Receipt.QUERIED, Receipt.REFUSED)


def handover_persons(actor, person: Person) -> list[Person]:
    """The persons a 交接 hands over: the person and, for a couple, the
    current spouse (when the sender may see them)."""
    persons = [person]
    spouse = current_spouse(person)
    if spouse is not None and person_list_visible_to(user=actor).filter(pk=spouse.pk).exists():
        persons.append(spouse)
    return persons


def current_spouse(person: Person) -> Person | None:
    m = (
        Marriage.objects.filter(end_date__isnull=True).filter(husband=person).select_related("wife").first()
        or Marriage.objects.filter(end_date__isnull=True, wife=person).select_related("husband").first()
    )
    if m is None:
        return None
    return m.wife if m.husband_id == person.pk else m.husband


def person_fields(person: Person, *, reason: str, on: str) -> dict:
    """The §8 fields of one person as the list records them."""
    out: dict = {f: getattr(person, f) for f in PERSON_FIELDS}
    out["birth_date"] = person.birth_date.isoformat()
    out["reason"] = reason
    out["date"] = on
    spouse = current_spouse(person)
    if spouse is not None:
        marriage = Marriage.objects.filter(end_date__isnull=True, husband__in=[person, spouse]).first()
        out["spouse"] = {
            "name": spouse.name,
            "id_masked": spouse.id_masked,
            "registered_code": spouse.registered_code,
            "married_on": marriage.date.isoformat() if marriage and marriage.date else "",
        }
    births = person.births_as_mother.all() if person.sex == "2" else person.births_as_father.all()
    out["children"] = [
        {"name": b.child.name, "sex": b.child.sex, "birth_date": b.child.birth_date.isoformat(), "order": b.birth_order}
        for b in births.select_related("child").order_by("child__birth_date")
    ]
    if person.sex == "2":
        open_pregnancy = person.pregnancies.filter(ended=False).order_by("-start_date").first()
        contraception = person.contraceptions.filter(end_date__isnull=True).order_by("-start_date").first()
        out["services"] = {
            "pregnant_since": open_pregnancy.start_date.isoformat() if open_pregnancy else "",
            "contraception": contraception.method if contraception else "",
        }
    out["benefits"] = benefits_of(person)
    out.update(documents_of(person))
    return out


def handover_list_make(*, actor, message: Message) -> HandoverList:
    """The list of a freshly drafted 交接 (called by message_draft, in its
    transaction)."""
    today = clock.today()
    seq = HandoverList.objects.filter(message__sender_code=message.sender_code, made_on__year=today.year).count() + 1
    hl = HandoverList.objects.create(
        message=message, number=f"{message.sender_code[:9]}-{today.year}-{seq:04d}", made_on=today
    )
    assert message.person is not None  # message_draft requires a person for a 交接
    reason = message.text or str(message.get_topic_display())
    entries = [
        HandoverEntry(
            handover_list=hl,
            person=p,
            person_uuid=p.uuid,
            row=row,
            fields=person_fields(p, reason=reason, on=today.isoformat()),
            responsible_before=p.responsible_code,
        )
        for row, p in enumerate(handover_persons(actor, message.person), start=1)
    ]
    HandoverEntry.objects.bulk_create(entries)
    _audit(actor, Action.CREATE, hl, {"number": hl.number, "persons": len(entries)})
    return hl


def _locked(hl: HandoverList) -> HandoverList:
    return HandoverList.objects.select_for_update().select_related("message").get(pk=hl.pk)


def handover_confirm_send(*, actor, handover_list: HandoverList) -> HandoverList:
    """The sending node signs the list (before the 交接 is sent)."""
    with transaction.atomic():
        hl = _locked(handover_list)
        message = Message.objects.select_for_update().get(pk=hl.message_id)
        if not rules.acts_for(actor, message.sender_code):
            raise NotPermitted(errors.NOT_YOUR_NODE)
        if hl.sender_confirmed_at is not None:
            raise Conflict(errors.LIST_SENDER_CONFIRMED)
        if message.state != State.DRAFT:
            raise Conflict(errors.NOT_DRAFT)
        hl.sender_confirmed_at, hl.sender_confirmed_by = clock.now(), actor
        hl.save(update_fields=["sender_confirmed_at", "sender_confirmed_by"])
        _audit(actor, Action.UPDATE, hl, {"transition": "confirm_send"})
    return hl


def check_sendable(message: Message) -> None:
    """A 交接 is sent only with a list its sender confirmed (message_send)."""
    if message.kind != Kind.HANDOVER:
        return
    hl = HandoverList.objects.filter(message=message).first()
    if hl is None or hl.sender_confirmed_at is None:
        raise Conflict(errors.LIST_NOT_SENDER_CONFIRMED)


def handover_confirm_receive(
    *, actor, handover_list: HandoverList, decisions: dict[int, tuple[str, str]] | None = None
) -> HandoverList:
    """The receiving node signs the list with a receipt state per person
    (`decisions`: entry pk → (receipt, reason); a person left out is
    received). Received persons become the receiver's responsibility; if
    nobody is received the 交接 ends refused and nothing moves. The list's
    row lock makes a second, concurrent confirmation a Conflict (409)."""
    decisions = decisions or {}
    with transaction.atomic():
        hl = _locked(handover_list)
        message = Message.objects.select_for_update().get(pk=hl.message_id)
        if not rules.acts_for(actor, message.receiver_code):
            raise NotPermitted(errors.NOT_YOUR_NODE)
        if hl.receiver_confirmed_at is not None:
            raise Conflict(errors.LIST_CONFIRMED)
        if not (message.state == State.RECEIVED or _delivered(message)):
            raise Conflict(errors.LIST_NOT_RECEIVABLE)
        entries = list(hl.entries.select_related("person").select_for_update())
        _decide(entries, decisions)
        now = clock.now()
        for e in entries:
            if e.receipt == Receipt.RECEIVED:
                e.responsible_after = _new_responsible(e.person, message.receiver_code)
                _move_responsibility(actor, e.person, e.responsible_after, hl)
        HandoverEntry.objects.bulk_update(entries, ["receipt", "reason", "responsible_after"])
        hl.receiver_confirmed_at, hl.receiver_confirmed_by = now, actor
        hl.save(update_fields=["receiver_confirmed_at", "receiver_confirmed_by"])
        if message.received_at is None:
            message.received_at, message.received_by = now, actor
        accepted = any(e.receipt == Receipt.RECEIVED for e in entries)
        message.state = State.CONFIRMED if accepted else State.REFUSED
        if not accepted:
            message.refusal_reason = "；".join(f"{e.fields.get('name', '')}：{e.reason}" for e in entries)
        message.closed_at, message.closed_by = now, actor
        message.version += 1
        message.save()
        receipts = {str(e.person_uuid): e.receipt for e in entries}
        _audit(actor, Action.UPDATE, hl, {"transition": "confirm_receive", "receipts": receipts})
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=message,
            region_code=message.sender_code,
            detail={"transition": "confirm_handover", "state": message.state},
        )
    return hl


def _delivered(message: Message) -> bool:
    from .services import delivered

    return delivered(message)


def _decide(entries: list[HandoverEntry], decisions: dict[int, tuple[str, str]]) -> None:
    problems = []
    for e in entries:
        receipt, reason = decisions.get(e.pk, (Receipt.RECEIVED, ""))
        reason = (reason or "").strip()
        if receipt not in DECIDED:
            raise Invalid(
                errors.RECEIPT_UNKNOWN,
                problems=[Problem(str(errors.RECEIPT_UNKNOWN % {"receipt": str(receipt)[:20]}), field="receipt")],
                receipt=str(receipt)[:20],
            )
        if receipt != Receipt.RECEIVED and not reason:
            name = e.fields.get("name", "")
            problems.append(Problem(str(errors.RECEIPT_REASON_REQUIRED % {"name": name}), field="reason"))
        e.receipt, e.reason = receipt, reason if receipt != Receipt.RECEIVED else ""
    if problems:
        raise Invalid(errors.RECEIPT_REASON_REQUIRED, problems=problems, name="")


def _new_responsible(person: Person, receiver_code: str) -> str:
    """The receiving node's region for the person: where they live, when that
    is inside the receiving node; otherwise the node itself."""
    level = Region.objects.filter(code=receiver_code).values_list("level", flat=True).first()
    prefix = receiver_code[: LEVEL_DIGITS[level]] if level else receiver_code
    return person.residence_code if person.residence_code.startswith(prefix) else receiver_code


def _move_responsibility(actor, person: Person, code: str, hl: HandoverList) -> None:
    before = person.responsible_code
    person.responsible_code = person.handover_code = code
    person.save(update_fields=["responsible_code", "handover_code", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=person,
        region_code=before,
        detail={"field": "responsible_code", "before": before, "after": code, "handover": hl.number},
    )


def _audit(actor, action, hl: HandoverList, detail: dict) -> None:
    audit_record(actor=actor, action=action, obj=hl, region_code=hl.message.sender_code, detail=detail)
