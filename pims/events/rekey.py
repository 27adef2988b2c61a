"""Re-keying the register when villages are merged or split (区划调整).

The old national system changed regions through an old→new mapping and a
logged re-keying of every table (DOMAIN.md §9). Here the mapping is one
target village per household (`moves`), and the re-keying goes through
events, so that the history stays and the balance holds by construction:

* every person of a moving household, and every person living in a source
  village (a resident spell there), gets one approved 县内迁移 event with
  ``payload.region_change`` (the basis, the old and new code), counted in
  the month it is done;
* each of their open spells in a source village is closed on the effective
  date as a move to the target village and the next one opened there as a
  move from it — the same pair a move between two villages makes, so the
  township's and the county's figures do not change and the two villages'
  rows show a move out and a move in (``本区划内`` at the township);
* households get the target village (the 户号 stays unless it is taken
  there: then the old village's last three digits go in front, 201 + 0003 →
  2010003, and the old number stays in the event); persons' registered,
  residence and responsible codes follow; accounts of a source village
  (its clerks) move to the target.

What is not moved: closed spells, events and reports of the past (they
keep the codes they were made with — history), and the paper-form volumes
(a volume is never changed; the household keeps its volume number).

Refused when the month it would count in is approved or accepted for the
township (pims.approval: a locked month changes only through a later one).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from pims.lib import clock
from pims.lib.errors import Invalid
from pims.regions.models import Region
from pims.registry.models import Household, Person

from .models import Event, EventType, Spell
from .periods import period_of
from .spell_attrs import PERSON_ATTRS

NUMBER_MAX = 20


@dataclass
class RekeyPlan:
    """What a re-keying moves, before it is done (the preview)."""

    moves: dict[int, Region]  # household id → target village
    sources: list[Region]
    households: Counter = field(default_factory=Counter)  # (source code, target code) → households
    persons: int = 0
    spells: int = 0
    users: int = 0
    renumbered: dict[int, str] = field(default_factory=dict)  # household id → new 户号
    problems: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, int]]:
        return sorted((a, b, n) for (a, b), n in self.households.items())


def _source_codes(plan: RekeyPlan) -> set[str]:
    return {r.code for r in plan.sources}


def rekey_plan(*, sources: list[Region], moves: dict[int, Region], period: str) -> RekeyPlan:
    """The preview: counts per old → new village, household numbers that
    must change, and the problems that refuse it."""
    from pims.accounts.models import User
    from pims.approval.selectors import period_locked

    plan = RekeyPlan(moves=moves, sources=sources)
    codes = _source_codes(plan)
    households = {h.pk: h for h in Household.objects.filter(village__code__in=codes)}
    missing = sorted(set(households) - set(moves))
    if missing:
        plan.problems.append(f"有 {len(missing)} 户未指定调整后的村")
    for pk, target in moves.items():
        h = households.get(pk)
        if h is None:
            plan.problems.append(f"第 {pk} 号记录不是被调整村的户")
            continue
        plan.households[(h.region_code, target.code)] += 1
    plan.renumbered = _renumbering(households, moves, plan.problems)
    plan.persons = _persons_touched(codes, list(households)).count()
    plan.spells = Spell.objects.filter(end__isnull=True, region_code__in=codes).count()
    plan.users = User.objects.filter(region__code__in=codes).count()
    for code in sorted(codes | {t.code for t in moves.values()}):
        if period_locked(code, period):
            plan.problems.append(f"{code} 所在乡镇的 {period} 月份已审批或验收锁定，不能在本月调整区划")
            break
    return plan


def _renumbering(households: dict[int, Household], moves: dict[int, Region], problems: list[str]) -> dict[int, str]:
    """户号 that would collide in the target village get the old village's
    last three digits in front."""
    moving = set(households) & set(moves)
    targets = {t.code for t in moves.values()}
    staying = defaultdict(set)
    for code, number in (
        Household.objects.filter(region_code__in=targets).exclude(pk__in=moving).values_list("region_code", "number")
    ):
        staying[code].add(number)
    out: dict[int, str] = {}
    for pk in sorted(moving):
        h, target = households[pk], moves[pk]
        taken = staying[target.code]
        number = h.number
        if number in taken:
            number = f"{h.region_code[-3:]}{h.number}"
            if len(number) > NUMBER_MAX or number in taken:
                problems.append(f"{h.region_code} 的 {h.number} 号户在调整后的村中户号重复，且无法自动改号")
                continue
            out[pk] = number
        taken.add(number)
    return out


def _persons_touched(codes: set[str], household_ids: list[int]):
    in_spells = Spell.objects.filter(end__isnull=True, region_code__in=codes).values("person_id")
    return Person.objects.filter(
        Q(household_id__in=household_ids)
        | Q(registered_code__in=codes)
        | Q(residence_code__in=codes)
        | Q(responsible_code__in=codes)
        | Q(pk__in=in_spells)
    )


def rekey_apply(*, actor, plan: RekeyPlan, effective: dt.date, basis: str, what: str) -> dict[str, int]:
    """Do the re-keying of `plan` (inside the caller's transaction); the counts."""
    from pims.accounts.models import User

    if plan.problems:
        raise Invalid(plan.problems)
    codes = _source_codes(plan)
    households = {h.pk: h for h in Household.objects.select_for_update().filter(village__code__in=codes)}
    target_of_code = _target_of_code(plan, households)
    # Each moving household's code and 户号 before the move.
    old_codes = {pk: h.region_code for pk, h in households.items()}
    old_numbers = {pk: h.number for pk, h in households.items()}

    def new_code(person: Person, old: str) -> str:
        own = households.get(person.household_id)
        if own is not None and old == old_codes[own.pk]:
            return plan.moves[own.pk].code
        return target_of_code.get(old, old)

    persons = list(_persons_touched(codes, list(households)))
    by_person = {p.pk: p for p in persons}
    now, period = timezone.now(), period_of(clock.today())
    events = {}
    for p in persons:
        own = households.get(p.household_id)
        old = p.registered_code if p.registered_code in codes else p.residence_code
        events[p.pk] = Event(
            event_type=EventType.MOVE_WITHIN,
            person=p,
            household_id=p.household_id,
            region_code=new_code(p, old),
            effective_date=effective,
            report_date=clock.today(),
            source=Event.Source.CLERK,
            reporter=actor,
            review_status=Event.Review.APPROVED,
            approved_at=now,
            approved_by=actor,
            approved_period=period,
            payload={
                "region_change": what,
                "basis": basis,
                "from": old,
                "to": new_code(p, old),
                "household_number": old_numbers[own.pk] if own is not None else "",
            },
        )
    Event.objects.bulk_create(list(events.values()), batch_size=500)
    spells = _move_spells(codes, events, by_person, new_code, effective, period)
    for p in persons:
        for f in ("registered_code", "residence_code", "responsible_code"):
            if getattr(p, f) in codes:
                setattr(p, f, new_code(p, getattr(p, f)))
    Person.objects.bulk_update(persons, ["registered_code", "residence_code", "responsible_code"], batch_size=500)
    for pk, h in households.items():
        target = plan.moves[pk]
        h.village, h.region_code = target, target.code
        h.number = plan.renumbered.get(pk, h.number)
    Household.objects.bulk_update(list(households.values()), ["village", "region_code", "number"], batch_size=500)
    regions = {r.code: r for r in Region.objects.filter(code__in=set(target_of_code.values()))}
    users = sum(
        User.objects.filter(region__code=code).update(region=regions[target]) for code, target in target_of_code.items()
    )
    return {
        "households": len(households),
        "persons": len(persons),
        "spells": spells,
        "users": users,
        "renumbered": len(plan.renumbered),
    }


def _target_of_code(plan: RekeyPlan, households: dict[int, Household]) -> dict[str, str]:
    """Each source village's code → the village most of its households go to
    (a merge: the one target; a split: the largest part) — where persons
    living there without a household of theirs, and its accounts, go."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for pk, h in households.items():
        counts[h.region_code][plan.moves[pk].code] += 1
    out = {}
    for region in plan.sources:
        most = counts[region.code].most_common(1)
        out[region.code] = most[0][0] if most else next(iter(plan.moves.values())).code
    return out


def _move_spells(codes, events, by_person, new_code, effective, period) -> int:
    """Close each open spell in a source village and open its successor in
    the target: a move pair (origin and destination naming each other)."""
    old_spells = list(Spell.objects.select_for_update().filter(end__isnull=True, region_code__in=codes))
    new_spells = []
    for s in old_spells:
        target = new_code(by_person[s.person_id], s.region_code)
        event = events[s.person_id]
        start = max(effective, s.start)
        new_spells.append(
            Spell(
                person_id=s.person_id,
                household_id=s.household_id,
                kind=s.kind,
                region_code=target,
                start=start,
                opened_by=event,
                open_reason=Spell.Opened.MOVE,
                open_period=period,
                origin_code=s.region_code,
                **{a: getattr(s, a) for a in PERSON_ATTRS},
            )
        )
        s.end, s.closed_by, s.close_reason = start, event, Spell.Closed.MOVE
        s.close_period, s.destination_code = period, target
    Spell.objects.bulk_update(
        old_spells, ["end", "closed_by", "close_reason", "close_period", "destination_code"], batch_size=500
    )
    Spell.objects.bulk_create(new_spells, batch_size=500)
    return len(old_spells)
