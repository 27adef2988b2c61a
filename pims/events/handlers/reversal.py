"""撤销: undoes a wrongly approved event (a death, move or flow that did not
happen) with a compensating event that points at it (`supersedes`). Events
stay append-only: nothing of the wrong event is deleted.

The effect, generically, on the spells the wrong event touched:

- each spell it *opened* (a newcomer's, the far end of a move) is closed with
  no length (end = start), naming where it came from;
- each spell it *closed* is continued by a new spell from the date it was
  closed, in the same region and household, naming where it went;

and on the person: status, household membership and region codes follow the
continued spells (a newcomer the event created becomes 注销); a death's ended
marriage is restored and the spouse is married again. Both kinds of spell
count as 更正增减 in the month the reversal is approved, like a late event,
so closed months keep their figures and the balance holds.

Refused (naming what depends on it) when anything later rests on the state
it would undo: a later approved event of the person (or of the spouse of a
reversed death), a spell the wrong event opened that a later event closed,
a split or merge of the household the person returns to, or another
reversal of the same event.
"""

from django.db.models import Q

from pims.registry.models import Household, Marriage, PersonStatus

from ..models import Event, EventType, Spell
from . import base
from .base import Field
from .catalogue import refuse

LABEL = "撤销"
PERSON = None
RELATED = None
HOUSEHOLD = None
TARGET = "被撤销的事件编号"
TARGET_REQUIRED = True
FIELDS = [
    Field(
        "relationship",
        "恢复后与户主关系",
        "code",
        required=False,
        table="family_relationship",
        help="原户主死亡或迁出后已指定新户主时必填",
    ),
    Field("reason", "撤销原因"),
]
REVERSIBLE = (
    EventType.DEATH,
    EventType.MOVE_OUT,
    EventType.CANCEL,
    EventType.MOVE_IN,
    EventType.MOVE_WITHIN,
    EventType.FLOW_IN,
    EventType.FLOW_OUT,
)


def complete(fields: dict, errors: list[str]) -> None:
    """The subject is the reversed event's person (the form asks only for
    the event number)."""
    target = fields.get("supersedes")
    if target is None:
        if not errors:
            errors.append(refuse("E181", target=TARGET))
        return
    fields["person"] = target.person
    fields["household"] = target.household


def _target(event) -> Event | None:
    if not event.supersedes_id:
        return None
    return Event.objects.filter(pk=event.supersedes_id).select_related("person").first()


def _title(e: Event) -> str:
    return f"事件 {e.pk}（{EventType(e.event_type).label}，{e.effective_date}）"


def _spells(target: Event):
    opened = list(Spell.objects.filter(opened_by=target).order_by("kind"))
    closed = list(Spell.objects.filter(closed_by=target).order_by("kind"))
    # A move's pair closes and opens in one event: only the spells it
    # opened afresh and the ones it ended count here.
    return opened, closed


def _ended_marriage(target: Event):
    if target.event_type != EventType.DEATH or target.person_id is None:
        return None
    return (
        Marriage.objects.filter(Q(husband_id=target.person_id) | Q(wife_id=target.person_id))
        .filter(end_date=target.effective_date, end_reason="death")
        .first()
    )


def validate(event, state) -> list[str]:
    target = _target(event)
    if target is None:
        return [refuse("E182", target=TARGET)]
    what = _title(target)
    if target.review_status != Event.Review.APPROVED:
        return [refuse("E183", what=what)]
    if target.event_type not in REVERSIBLE:
        kinds = "、".join(str(EventType(t).label) for t in REVERSIBLE)
        return [refuse("E184", what=what, kinds=kinds)]
    if target.pk in state.reversed:
        return [refuse("E185", what=what, by="在本批中")]
    reversals = Event.objects.filter(event_type=EventType.REVERSAL, supersedes=target).exclude(pk=event.pk)
    again = reversals.exclude(review_status=Event.Review.WITHDRAWN).first()
    if again is not None:
        return [refuse("E185", what=what, by=f"由事件 {again.pk} ")]
    person = state.fetch_person(target.person_id)
    if person is None:
        return [refuse("E186", what=what)]
    errors: list[str] = []
    marriage = _ended_marriage(target)
    spouse = None
    if marriage is not None:
        spouse = state.fetch_person(marriage.wife_id if marriage.husband_id == person.pk else marriage.husband_id)
    later = _later_events(target, [p for p in (person, spouse) if p is not None])
    if later:
        errors.append(refuse("E187", what=what, later="、".join(_title(e) for e in later[:5])))
        return errors
    opened, closed = _spells(target)
    for s in opened:
        current = state.open_spell(person, s.kind)
        if current is None or current.pk != s.pk:
            errors.append(refuse("E188", what=what, kind=s.get_kind_display()))
    reopened = {s.kind for s in opened}
    for s in closed:
        current = state.open_spell(person, s.kind)
        if current is not None and s.kind not in reopened:
            errors.append(
                refuse(
                    "E189",
                    person=base.label(person),
                    kind=s.get_kind_display(),
                    region=current.region_code,
                    start=current.start,
                )
            )
    home = _home(closed, state)
    if home is not None:
        errors += _household_errors(event, target, person, home, state)
    if spouse is not None and state.marriage(spouse) is not None:
        errors.append(refuse("E190", person=base.label(spouse)))
    return errors


def _later_events(target: Event, persons) -> list[Event]:
    ids = [p.pk for p in persons]
    after = (
        Q(effective_date__gt=target.effective_date)
        | Q(effective_date=target.effective_date, pk__gt=target.pk)
        | Q(approved_at__gt=target.approved_at)
    )
    return list(
        Event.objects.filter(Q(person_id__in=ids) | Q(related_person_id__in=ids))
        .filter(after, review_status=Event.Review.APPROVED)
        .exclude(pk=target.pk)
        .exclude(event_type=EventType.BASELINE)
        .order_by("effective_date", "pk")[:6]
    )


def _home(closed, state) -> Household | None:
    """The household the person returns to: the one of the spells the wrong
    event closed (the registered one first)."""
    for s in sorted(closed, key=lambda s: s.kind != Spell.Kind.REGISTERED):
        if s.household_id:
            return state.household(s.household_id) or _load_household(s.household_id, state)
    return None


def _status_before(person) -> str:
    last = Spell.objects.filter(person_id=person.pk, end__isnull=False).order_by("-end", "-pk").first()
    by_reason: dict[str, str] = {
        Spell.Closed.DEATH: PersonStatus.DEAD,
        Spell.Closed.MOVE: PersonStatus.MOVED_OUT,
        Spell.Closed.CANCEL: PersonStatus.CANCELLED,
    }
    return by_reason.get(last.close_reason if last else "", PersonStatus.CANCELLED)


def _load_household(pk, state) -> Household:
    h = Household.objects.select_related("village").get(pk=pk)
    state.households[pk] = h
    return h


def _household_errors(event, target, person, home, state) -> list[str]:
    errors: list[str] = []
    changed = (
        Event.objects.filter(Q(household=home) | Q(payload__target_household_id=home.pk))
        .filter(event_type__in=[EventType.HH_SPLIT, EventType.HH_MERGE], review_status=Event.Review.APPROVED)
        .filter(approved_at__gt=target.approved_at)
        .first()
    )
    if changed is not None:
        errors.append(refuse("E191", person=base.label(person), changed=_title(changed)))
    if home.status != Household.Status.ACTIVE and target.event_type not in (
        EventType.DEATH,
        EventType.MOVE_OUT,
        EventType.CANCEL,
        EventType.MOVE_WITHIN,
        EventType.FLOW_OUT,
    ):
        errors.append(refuse("E192", person=base.label(person)))
    new_head = (target.payload or {}).get("new_head_id")
    if new_head and not (event.payload or {}).get("relationship"):
        head = state.fetch_person(new_head)
        errors.append(refuse("E193", head=what_head(head)))
    return errors


def what_head(head) -> str:
    return f"“{head.name}”" if head is not None else "新户主"


def apply(event, state) -> None:
    target = _target(event)
    assert target is not None  # validate refused a reversal without its target (E182)
    state.reversed.add(target.pk)
    person = state.fetch_person(target.person_id)
    opened, closed = _spells(target)
    for s in opened:
        state.close(person, s.kind, end=s.start, event=event, reason=Spell.Closed.REVERSAL, destination=s.origin_code)
    continued = {}
    for s in closed:
        household = (
            (state.household(s.household_id) or _load_household(s.household_id, state)) if s.household_id else None
        )
        continued[s.kind] = state.open(
            person,
            s.kind,
            region=s.region_code,
            household=household,
            start=s.end,
            event=event,
            reason=Spell.Opened.REVERSAL,
            origin=s.destination_code,
        )
    if not continued:
        # A newcomer the wrong event created is out of the register again; a
        # former resident who "moved back" is again as they had left.
        person.status = _status_before(person)
        state.mark("person", person)
        if person.household is not None:
            base.apply_leaving(event, state, person.household, [person])
        return
    home = _home(closed, state)
    person.status, person.death_date = PersonStatus.ACTIVE, None
    relationship = (event.payload or {}).get("relationship") or person.relationship
    if home is not None:
        if home.status != Household.Status.ACTIVE:
            home.status = Household.Status.ACTIVE
            state.mark("household", home)
        if person.household is home:
            person.relationship = relationship
            state.rejoin(person)
        else:
            leaving = person.household
            state.set_household(person, home, relationship)
            if leaving is not None and not state.members(leaving):
                leaving.status = Household.Status.DISSOLVED
                state.mark("household", leaving)
    if Spell.Kind.REGISTERED in continued:
        person.registered_code = continued[Spell.Kind.REGISTERED].region_code
    if Spell.Kind.RESIDENT in continued:
        person.residence_code = continued[Spell.Kind.RESIDENT].region_code
    marriage = _ended_marriage(target)
    if marriage is not None:
        other = marriage.wife_id if marriage.husband_id == person.pk else marriage.husband_id
        spouse = state.fetch_person(other)
        husband, wife = (person, spouse) if person.sex == "1" else (spouse, person)
        state.restore_marriage(marriage, husband=husband, wife=wife)
        spouse.marital_status = person.marital_status if person.marital_status in base.MARRIED else "21"
        state.mark("person", spouse)
    state.mark("person", person)
    base.refresh_codes(person, state)
    event.person = person
