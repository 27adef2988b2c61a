"""Entry that starts an exchange (issue 18.4).

When the collection form meets a citizen ID already registered outside the
user's jurisdiction, the register refuses the second record (rule I29, which
does not say where) and the form offers a 协查 to the node that sees both
sides — the county (or the city), which forwards or answers it: the draft
names the person by the ID the operator typed, and carries only what the
receiver needs (the name as typed, the masked ID, where the person now
lives, the record's UUID). Nothing of the other jurisdiction's record is
shown to the sender, not even the township of registration.

The household whose entry started a 协查 stays pending (pending_inquiries):
its form cannot be submitted or approved until the 协查 is answered (or
refused, or withdrawn); then it proceeds. The event forms (a move-in or
flow-in whose newcomer's ID is registered elsewhere, rule E16) make the
same offer (offers_for_event).

Split couples (夫妻不在同一户籍地的，信息录入由女方户籍地负责): the seed rule
puts the couple under the wife's registered place (pims.events.handlers.base
.responsible_code, pims.registry.services._set_responsible); when a form
with such a couple is approved, the husband's registered place gets a 通报
(notify_split_couples), once per couple and place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.lib.errors import Conflict, NotPermitted
from pims.regions.models import Level, Region
from pims.registry.models import Household, Marriage, Person
from pims.registry.selectors import person_list_visible_to

from . import errors, rules, services
from .models import Kind, Message, Priority, State, Topic


@dataclass
class Offer:
    """A form row whose ID is registered elsewhere, and where to ask."""

    row: int
    name: str
    citizen_id: str
    id_masked: str
    receiver_code: str
    receiver_name: str
    open_inquiry: Message | None


def _registered_person(number: str) -> Person | None:
    from pims.registry.personal import citizen_id_index

    return Person.objects.filter(id_index=citizen_id_index(number)).first()


def offers_for_rows(user, rows: list[dict]) -> list[Offer]:
    """The rows of a collection form (as typed) whose ID belongs to a person
    the user may not see, with the registered township to ask. Empty for a
    user who does not act for a node (a village clerk asks the township)."""
    if not has_capability(user, Cap.EXCHANGE) or getattr(user, "region", None) is None:
        return []
    out = []
    for r in rows:
        raw = (r.get("citizen_id") or "").strip()
        if not raw:
            continue
        try:
            parsed = cid.parse(raw)
        except cid.CitizenIdError:
            continue
        person = _registered_person(parsed.number)
        if person is None or person_list_visible_to(user=user).filter(pk=person.pk).exists():
            continue
        place = rules.node_code(person.registered_code, Level.TOWNSHIP)
        if place == user.region.code:
            continue
        # Ask the node that sees both sides (the county, or the city): the
        # form must not tell where the number is registered (rule I29, 14.9).
        via = rules.route_code(user.region.code, place)
        region = Region.objects.filter(code=via, valid_to__isnull=True).first()
        if region is None or via == user.region.code:
            continue
        out.append(
            Offer(
                row=r.get("row") or 0,
                name=(r.get("name") or "").strip(),
                citizen_id=parsed.number,
                id_masked=parsed.masked,
                receiver_code=via,
                receiver_name=region.name,
                open_inquiry=_open_inquiry(user.region.code, person),
            )
        )
    return out


def offers_for_event(user, values: dict, refusal) -> list[Offer]:
    """The event form's newcomer (a move-in, a flow-in) whose ID is already
    registered (rule E16) outside the user's jurisdiction: the same offer as
    the collection form's, through the county."""
    problems = getattr(refusal, "problems", None) or []
    if not any(getattr(p, "rule", "") == "E16" for p in problems):
        return []
    row = {"row": 1, "name": values.get("name", ""), "citizen_id": values.get("citizen_id", "")}
    return offers_for_rows(user, [row])


def split_offered(user, members: list[dict]) -> tuple[list[dict], list[Offer]]:
    """The collection form's rows without those registered elsewhere, and
    the offers for those: the household is saved without them and waits for
    the answers (inquiries_for_household)."""
    offers = offers_for_rows(user, members)
    offered = {str(o.row) for o in offers}
    kept = []
    for m in members:
        if str(m.get("row") or 0) in offered:
            continue
        m = dict(m)
        for link, with_it in ROW_LINKS.items():
            if str(m.get(link) or "").strip() in offered:
                m.update(dict.fromkeys((link, *with_it), ""))
        kept.append(m)
    return kept, offers


# A form row's links to other rows (and what goes with each): a link to a
# row that leaves the form goes too; the 协查's answer completes it later.
ROW_LINKS = {"spouse_row": ("marriage_date",), "mother_row": (), "father_row": ()}


def inquiries_for_household(*, actor, household: Household, offers: list[Offer]) -> list[Message]:
    """One 协查 per offer, each keeping the household pending."""
    return [
        inquiry_registered_elsewhere(
            actor=actor, citizen_id=o.citizen_id, name=o.name, residence_code=household.region_code, household=household
        )
        for o in offers
    ]


PENDING_STATES = (State.DRAFT, State.SENT, State.FORWARDED, State.RECEIVED)


def pending_inquiries(household: Household):
    """The open 协查 started by the household's entry: while there is one,
    the household is pending — its form cannot be submitted or approved."""
    return Message.objects.filter(household=household, kind=Kind.INQUIRY, state__in=PENDING_STATES)


def check_not_pending(household: Household) -> None:
    if pending_inquiries(household).exists():
        raise Conflict(errors.HOUSEHOLD_PENDING)


def _writable_household(actor, household: Household | None) -> Household | None:
    if household is None:
        return None
    from pims.registry.selectors import household_list_visible_to

    if (
        not has_capability(actor, Cap.ENTER_FORMS)
        or not household_list_visible_to(user=actor).filter(pk=household.pk).exists()
    ):
        raise NotPermitted(errors.HOUSEHOLD_NOT_YOURS)
    return household


def _open_inquiry(sender_code: str, person: Person) -> Message | None:
    return (
        Message.objects.filter(
            sender_code=sender_code, person=person, kind=Kind.INQUIRY, topic=Topic.REGISTERED_ELSEWHERE
        )
        .exclude(state__in=(State.WITHDRAWN, State.REFUSED, State.ANSWERED))
        .first()
    )


def inquiry_registered_elsewhere(
    *, actor, citizen_id: str, name: str, residence_code: str = "", household: Household | None = None
) -> Message:
    """A draft 协查 to the registered township of the person with this ID
    (the operator met them on the form); the open one if it exists already,
    so that asking twice makes one inquiry. With `household` (the form's),
    the household stays pending until the answer."""
    sender_code = actor.region.code if getattr(actor, "region", None) else ""
    if not rules.acts_for(actor, sender_code):
        raise NotPermitted(errors.NOT_YOUR_NODE)
    parsed = cid.parse((citizen_id or "").strip())
    person = _registered_person(parsed.number)
    if person is None:
        raise services._invalid(errors.ID_NOT_REGISTERED, "citizen_id")
    if person_list_visible_to(user=actor).filter(pk=person.pk).exists():
        raise Conflict(errors.ID_REGISTERED_HERE)
    receiver_code = rules.route_code(sender_code, rules.node_code(person.registered_code, Level.TOWNSHIP))
    services._check_receiver(sender_code, receiver_code)
    household = _writable_household(actor, household)
    if not residence_code.startswith(actor.region.prefix):
        residence_code = ""
    with transaction.atomic():
        existing = _open_inquiry(sender_code, person)
        if existing is not None:
            if household is not None and existing.household_id is None:
                existing.household = household
                existing.save(update_fields=["household"])
                services._audit(actor, Action.UPDATE, existing, {"pending_household": household.pk})
            return existing
        values = {
            "uuid": str(person.uuid),
            "name": (name or "").strip()[:50],
            "id_masked": parsed.masked,
            "residence_code": residence_code,
        }
        message = Message(
            kind=Kind.INQUIRY,
            topic=Topic.REGISTERED_ELSEWHERE,
            priority=Priority.NORMAL,
            sender_code=sender_code,
            receiver_code=receiver_code,
            route_code=rules.route_code(sender_code, receiver_code),
            forwarding=rules.needs_forwarding(sender_code, receiver_code),
            person=person,
            person_uuid=person.uuid,
            household=household,
            payload=rules.minimised(Kind.INQUIRY, Topic.REGISTERED_ELSEWHERE, values),
            text=str(errors.INQUIRY_TEXT_REGISTERED_ELSEWHERE),
            created_by=actor,
            created_at=clock.now(),
        )
        message.save()
        detail = {"kind": Kind.INQUIRY, "from": "collection_form", "pending_household": getattr(household, "pk", None)}
        services._audit(actor, Action.CREATE, message, detail)
    return message


def notify_split_couples(*, actor, household: Household) -> list[Message]:
    """A 通报 to the husband's registered township for each couple of the
    household registered in different townships (the wife's place is
    responsible); once per couple and place."""
    members = list(household.members.all())
    ids = [p.pk for p in members]
    marriages = Marriage.objects.filter(end_date__isnull=True, wife_id__in=ids).select_related("husband", "wife")
    out = []
    for m in marriages:
        husband, wife = m.husband, m.wife
        her_place = rules.node_code(wife.registered_code, Level.TOWNSHIP)
        his_place = rules.node_code(husband.registered_code, Level.TOWNSHIP)
        if her_place == his_place:
            continue
        if not Region.objects.filter(code=his_place, level=Level.TOWNSHIP, valid_to__isnull=True).exists():
            continue
        if Message.objects.filter(
            kind=Kind.NOTICE, topic=Topic.SPLIT_COUPLE, person=husband, receiver_code=his_place
        ).exists():
            continue
        extra = {
            "spouse_uuid": str(wife.uuid),
            "spouse_registered_code": wife.registered_code,
            "responsible_code": wife.registered_code,
        }
        message = Message(
            kind=Kind.NOTICE,
            topic=Topic.SPLIT_COUPLE,
            sender_code=rules.node_code(household.region_code, Level.TOWNSHIP),
            receiver_code=his_place,
            person=husband,
            person_uuid=husband.uuid,
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if message.sender_code == his_place:
            message.sender_code = her_place
        if message.sender_code == his_place:
            continue
        message.route_code = rules.route_code(message.sender_code, his_place)
        message.forwarding = False  # a notification is delivered directly
        message.payload = rules.minimised(Kind.NOTICE, Topic.SPLIT_COUPLE, {**services.person_values(husband), **extra})
        services._mark_sent(actor, message)
        message.save()
        services._audit(actor, Action.CREATE, message, {"kind": Kind.NOTICE, "split_couple": m.pk, "auto": True})
        out.append(message)
    return out
