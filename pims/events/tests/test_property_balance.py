"""Property: on random valid event streams over the small region tree, for
every region at every level, every month and both kinds of population,

    end = start + births − deaths + moved in − moved out + corrected in − corrected out
                                                            (+ baseline, month 0 only)

holds exactly, the spell invariants hold, and the stock by occurrence dates
agrees with the stock as approved once everything is applied. An invalid
event slipped into a month is refused with a message naming it, and the
register is left exactly as it was.

Hypothesis draws *intentions* (an event type, some indexes, a day, whether
the report is late); `Interpreter` turns each into a valid event against
the register as it stands at the start of the month, using every person and
household at most once a month so that the month's events never contradict
each other. Region corrections and reversals (撤销) of earlier months'
events are among the intentions: they count as 更正增减 in the month they
are approved.
"""

import copy
import datetime as dt
import os
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from pims.events import engine, selectors
from pims.events.errors import EventRefused
from pims.events.models import Event, Spell
from pims.events.periods import first_day, last_day, next_period, period_of, periods_between, previous_period
from pims.events.services import baseline_open
from pims.lib import clock
from pims.registry.models import Household, Marriage, Person
from pims.registry.tests.factories import make_child, make_couple, make_person

BASELINE_PERIOD = period_of(clock.today())
# Collected on the first of last month, approved (counted) this month.
BASELINE_DATE = first_day(previous_period(BASELINE_PERIOD))
FIRST_PERIOD = next_period(BASELINE_PERIOD)
EXTERNAL = "110101000000"  # a place outside the register (Beijing)
OPS = [
    "birth",
    "death",
    "move_out",
    "move_in",
    "move_within",
    "cancel",
    "flow_out",
    "flow_in",
    "flow_in_existing",
    "marriage",
    "divorce",
    "hh_split",
    "hh_merge",
    "pregnancy",
    "reversal",
    "correct_region",
]
REVERSIBLE = ["death", "move_out", "cancel", "move_in", "move_within", "flow_in", "flow_out"]
POISONS = ["death_before_birth", "birth_to_man", "marriage_of_married", "move_out_absent"]

intention = st.tuples(
    st.sampled_from(OPS),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(1, 28),
    st.booleans(),  # late: occurred in the previous month
)
month = st.lists(intention, max_size=7)
stream = st.lists(month, min_size=1, max_size=3)


def age(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def build_world(regions):
    """Two families in each of three villages (one of them 户在人不在: registered
    in A1, living in B1), opened with baseline events."""
    households = []
    for i, key in enumerate(["village_a1", "village_a2", "village_b1"] * 2):
        village = regions[key]
        hh, husband, wife = make_couple(
            village, husband_birth=dt.date(1978 + i, 5, 1), wife_birth=dt.date(1984 + i, 3, 1), number=f"W{i:03d}"
        )
        make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(1999 + i, 6, 1), sex="1", order=1)
        make_child(
            hh, 4, mother=wife, father=husband, birth_date=dt.date(2001 + i, 6, 1), sex="2", relationship="30", order=2
        )
        households.append(hh)
    away = make_person(
        households[0],
        5,
        "1",
        dt.date(1960, 1, 1),
        "97",
        "40",
        residence_code=regions["village_b1"].code,
        residence_status="3",
    )
    assert away.registered_code == regions["village_a1"].code
    for hh in households:
        baseline_open(actor=None, household=hh, persons=list(hh.members.all()), baseline_date=BASELINE_DATE)


class Interpreter:
    """Valid events for one month, from the register at the month's start."""

    def __init__(self, regions, period: str, serial: int):
        self.villages = [regions[k].code for k in ("village_a1", "village_a2", "village_b1")]
        self.period = period
        self.serial = serial
        self.used_persons: set[int] = set()
        self.used_households: set[int] = set()
        self.persons = list(Person.objects.filter(status="1").select_related("household").order_by("pk"))
        self.spells: defaultdict[int, dict[str, Spell]] = defaultdict(dict)
        self.latest: defaultdict[int, dt.date] = defaultdict(lambda: BASELINE_DATE)
        for s in Spell.objects.order_by("start"):
            if s.end is None:
                self.spells[s.person_id][s.kind] = s
            self.latest[s.person_id] = max(self.latest[s.person_id], s.start, s.end or s.start)
        self.spouse = {}
        for m in Marriage.objects.filter(end_date__isnull=True):
            self.spouse[m.husband_id], self.spouse[m.wife_id] = m.wife_id, m.husband_id
        self.members = defaultdict(list)
        for p in self.persons:
            self.members[p.household_id].append(p)
        self.households = list(Household.objects.filter(status="active").order_by("pk"))

    # --- helpers --------------------------------------------------------------

    def free(self, p) -> bool:
        return p.pk not in self.used_persons and p.household_id not in self.used_households

    def take(self, *persons, households=()):
        for p in persons:
            self.used_persons.add(p.pk)
            self.used_households.add(p.household_id)
        self.used_households.update(h.pk for h in households)

    def pick(self, items, index):
        return items[index % len(items)] if items else None

    def day(self, d: int, late: bool, *persons) -> dt.date | None:
        base = first_day(self.period)
        if late and self.period > FIRST_PERIOD:
            base = first_day(period_of(base - dt.timedelta(days=1)))
        day = base + dt.timedelta(days=d - 1)
        for p in persons:
            day = max(day, self.latest[p.pk], p.birth_date)
        return day if day <= last_day(self.period) else None

    def registered_here(self, p) -> bool:
        s = self.spells[p.pk].get("registered")
        return s is not None and s.region_code == p.household.region_code

    def head_payload(self, p, leaving=()) -> dict | None:
        """{} when no new head is needed, {new_head_id} when one is, None when
        the household's other members are taken this month."""
        if p.household.head_id != p.pk:
            return {}
        others = [m for m in self.members[p.household_id] if m.pk != p.pk and m not in leaving]
        return {"new_head_id": others[0].pk} if others else {}

    def event(self, event_type, day, *, person=None, related=None, household=None, **payload) -> Event:
        region = (person or related).registered_code if (person or related) else household.region_code
        return Event(
            event_type=event_type,
            person=person,
            related_person=related,
            household=household,
            region_code=region,
            effective_date=day,
            report_date=day,
            source="village",
            payload=payload,
        )

    # --- intentions -------------------------------------------------------------

    def make(self, op, a, b, d, late) -> Event | None:
        return getattr(self, "op_" + op)(a, b, d, late)

    def op_birth(self, a, b, d, late):
        mothers = [p for p in self.persons if p.sex == "2" and self.free(p) and self.registered_here(p)]
        mother = self.pick(mothers, a)
        if mother is None or (day := self.day(d, late, mother)) is None or not 15 <= age(mother.birth_date, day) <= 49:
            return None
        self.take(mother)
        return self.event("birth", day, related=mother, name=f"婴{self.serial}", sex="12"[b % 2], relationship="20")

    def _leaver(self, candidates, a, d, late):
        p = self.pick([c for c in candidates if self.free(c)], a)
        if p is None or (day := self.day(d, late, p)) is None:
            return None, None, None
        extra = self.head_payload(p)
        self.take(p)
        return p, day, extra

    def op_death(self, a, b, d, late):
        p, day, extra = self._leaver([p for p in self.persons if self.spells[p.pk]], a, d, late)
        return p and self.event("death", day, person=p, **extra)

    def op_move_out(self, a, b, d, late):
        p, day, extra = self._leaver([p for p in self.persons if self.registered_here(p)], a, d, late)
        return p and self.event("move_out", day, person=p, destination_code=EXTERNAL, **extra)

    def op_cancel(self, a, b, d, late):
        p, day, extra = self._leaver([p for p in self.persons if "registered" in self.spells[p.pk]], a, d, late)
        return p and self.event("cancel", day, person=p, reason="参军", **extra)

    def _household(self, index, exclude_village=None):
        options = [h for h in self.households if h.pk not in self.used_households and h.region_code != exclude_village]
        return self.pick(options, index)

    def op_move_in(self, a, b, d, late):
        hh = self._household(a)
        if hh is None or (day := self.day(d, late)) is None:
            return None
        self.take(households=[hh])
        return self.event(
            "move_in",
            day,
            household=hh,
            name=f"迁{self.serial}",
            sex="12"[b % 2],
            birth_date="1990-01-01",
            ethnicity="01",
            marital_status="10",
            hukou_type="2",
            relationship="97",
            origin_code=EXTERNAL,
        )

    def op_move_within(self, a, b, d, late):
        movers = [p for p in self.persons if self.free(p) and self.registered_here(p)]
        p = self.pick(movers, a)
        if p is None:
            return None
        target = self._household(b, exclude_village=p.household.region_code)
        if target is None or (day := self.day(d, late, p)) is None:
            return None
        extra = self.head_payload(p)
        self.take(p, households=[target])
        return self.event(
            "move_within", day, person=p, household=target, relationship="97", move_residence=bool(b % 2), **extra
        )

    def op_flow_out(self, a, b, d, late):
        p = self.pick([p for p in self.persons if self.free(p) and "resident" in self.spells[p.pk]], a)
        if p is None or (day := self.day(d, late, p)) is None:
            return None
        here = self.spells[p.pk]["resident"].region_code
        destination = self.pick([c for c in [*self.villages, EXTERNAL] if c != here], b)
        extra = self.head_payload(p) if "registered" not in self.spells[p.pk] else {}
        self.take(p)
        return self.event("flow_out", day, person=p, destination_code=destination, reason="1", **extra)

    def op_flow_in(self, a, b, d, late):
        hh = self._household(a)
        if hh is None or (day := self.day(d, late)) is None:
            return None
        self.take(households=[hh])
        return self.event(
            "flow_in",
            day,
            household=hh,
            name=f"流{self.serial}",
            sex="12"[b % 2],
            birth_date="1995-01-01",
            ethnicity="01",
            marital_status="10",
            hukou_type="2",
            relationship="99",
            registered_code="370102000000",
            reason="1",
        )

    def op_flow_in_existing(self, a, b, d, late):
        p = self.pick([p for p in self.persons if self.free(p)], a)
        if p is None or (day := self.day(d, late, p)) is None:
            return None
        here = self.spells[p.pk].get("resident")
        target = self.pick([v for v in self.villages if here is None or v != here.region_code], b)
        self.take(p)
        return self.event("flow_in", day, person=p, residence_code=target, reason="2")

    def op_marriage(self, a, b, d, late):
        def single(p, sex):
            return p.sex == sex and self.free(p) and p.pk not in self.spouse and p.marital_status in ("10", "30", "40")

        men = [p for p in self.persons if single(p, "1")]
        women = [p for p in self.persons if single(p, "2")]
        man, woman = self.pick(men, a), self.pick(women, b)
        if man is None or woman is None or man.household_id == woman.household_id:
            return None
        day = self.day(d, late, man, woman)
        if day is None or age(man.birth_date, day) < 22 or age(woman.birth_date, day) < 20:
            return None
        move = bool((a + b) % 2) and self.registered_here(woman)
        extra = self.head_payload(woman) if move else {}
        self.take(man, woman)
        return self.event("marriage", day, person=man, related=woman, move_wife=move, relationship="38", **extra)

    def op_divorce(self, a, b, d, late):
        husbands = [p for p in self.persons if p.sex == "1" and p.pk in self.spouse and self.free(p)]
        man = self.pick(husbands, a)
        wife = next((p for p in self.persons if man and p.pk == self.spouse[man.pk]), None)
        if man is None or wife is None or not self.free(wife) or (day := self.day(d, late, man, wife)) is None:
            return None
        self.take(man, wife)
        return self.event("divorce", day, person=man, related=wife)

    def op_hh_split(self, a, b, d, late):
        options = [h for h in self.households if h.pk not in self.used_households and len(self.members[h.pk]) >= 2]
        hh = self.pick(options, a)
        if hh is None:
            return None
        mover = self.pick([m for m in self.members[hh.pk] if m.pk != hh.head_id], b)
        if mover is None or (day := self.day(d, late, mover)) is None:
            return None
        self.take(mover, households=[hh])
        return self.event(
            "hh_split",
            day,
            household=hh,
            head_id=mover.pk,
            members=[{"person_id": mover.pk, "relationship": "02"}],
            new_household_number=f"S{self.serial}",
            new_household_address="分户地址",
        )

    def op_hh_merge(self, a, b, d, late):
        free = [h for h in self.households if h.pk not in self.used_households and self.members[h.pk]]
        source = self.pick(free, a)
        target = self.pick([h for h in free if source and h.pk != source.pk and h.region_code == source.region_code], b)
        if target is None or (day := self.day(d, late, *self.members[source.pk])) is None:
            return None
        self.take(*self.members[source.pk], households=[source, target])
        members = [{"person_id": m.pk, "relationship": "97"} for m in self.members[source.pk]]
        return self.event("hh_merge", day, household=source, target_household_id=target.pk, members=members)

    def op_pregnancy(self, a, b, d, late):
        women = [p for p in self.persons if p.sex == "2" and self.free(p)]
        woman = self.pick(women, a)
        if woman is None or (day := self.day(d, late, woman)) is None or not 15 <= age(woman.birth_date, day) <= 49:
            return None
        if woman.pregnancies.filter(ended=False).exists():
            return None
        self.take(woman)
        return self.event("pregnancy", day, person=woman)

    def op_correct_region(self, a, b, d, late):
        """户籍地/居住地更正: the open spell's region, corrected from its start."""
        kind = ("registered", "resident")[b % 2]
        p = self.pick([p for p in self.persons if self.free(p) and kind in self.spells[p.pk]], a)
        if p is None or (day := self.day(d, late, p)) is None:
            return None
        here = self.spells[p.pk][kind].region_code
        after = self.pick([c for c in [*self.villages, EXTERNAL] if c != here], a + b)
        field = {"registered": "registered_code", "resident": "residence_code"}[kind]
        self.take(p)
        return self.event("correction", day, person=p, field=field, before=getattr(p, field), after=after)

    def op_reversal(self, a, b, d, late):
        """撤销 of an approved event nothing later depends on."""
        candidates = Event.objects.filter(review_status="approved", event_type__in=REVERSIBLE).order_by("pk")
        options = [t for t in candidates if self._reversible(t)]
        target = self.pick(options, a)
        if target is None:
            return None
        day = self.day(d, late, *self._involved(target))
        if day is None:
            return None
        self.take(*self._involved(target), households=self._households_of(target))
        extra = {"relationship": "97"} if (target.payload or {}).get("new_head_id") else {}
        e = self.event("reversal", day, person=target.person, reason="误报", **extra)
        e.supersedes = target
        return e

    def _involved(self, target) -> list:
        ids = {target.person_id, target.related_person_id}
        if target.event_type == "death":
            for m in Marriage.objects.filter(Q(husband_id=target.person_id) | Q(wife_id=target.person_id)).filter(
                end_date=target.effective_date, end_reason="death"
            ):
                ids |= {m.husband_id, m.wife_id}
        return list(Person.objects.filter(pk__in=[i for i in ids if i]).select_related("household"))

    def _households_of(self, target) -> list:
        ids = set(
            Spell.objects.filter(Q(opened_by=target) | Q(closed_by=target)).values_list("household_id", flat=True)
        )
        return list(Household.objects.filter(pk__in=ids))

    def _reversible(self, target) -> bool:
        """Conservatively: no later event on anyone involved, the spells it
        opened still open, its households untouched by splits and merges."""
        persons = self._involved(target)
        ids = [p.pk for p in persons]
        if any(p.pk in self.used_persons or p.household_id in self.used_households for p in persons):
            return False
        if any(h.pk in self.used_households for h in self._households_of(target)):
            return False
        if Event.objects.filter(event_type="reversal", supersedes=target).exists():
            return False
        later = Event.objects.filter(Q(person_id__in=ids) | Q(related_person_id__in=ids)).exclude(pk=target.pk)
        later = later.exclude(event_type="baseline").filter(
            Q(pk__gt=target.pk) | Q(effective_date__gte=target.effective_date)
        )
        if later.exists():
            return False
        if Spell.objects.filter(opened_by=target, end__isnull=False).exists():
            return False
        households = [h.pk for h in self._households_of(target)]
        reshaped = Event.objects.filter(event_type__in=["hh_split", "hh_merge"], pk__gt=target.pk).filter(
            Q(household_id__in=households) | Q(payload__target_household_id__in=households)
        )
        return not reshaped.exists()

    # --- invalid events -----------------------------------------------------------

    def poison(self, kind: str, index: int) -> tuple[Event, str] | None:
        day = last_day(self.period)
        people = [p for p in self.persons if self.free(p)]
        if kind == "death_before_birth":
            p = self.pick(people, index)
            return p and (self.event("death", p.birth_date - dt.timedelta(days=1), person=p), "早于")
        if kind == "birth_to_man":
            man = self.pick([p for p in people if p.sex == "1"], index)
            return man and (self.event("birth", day, related=man, name="错", sex="1", relationship="20"), "性别为男")
        if kind == "marriage_of_married":
            married = self.pick([p for p in people if p.pk in self.spouse and p.sex == "1"], index)
            other = self.pick(
                [p for p in people if p.sex == "2" and p.pk != self.spouse.get(married.pk if married else 0)], index
            )
            return married and other and (self.event("marriage", day, person=married, related=other), "已婚")
        # Not one this month's reversal brings back.
        gone = [p for p in Person.objects.exclude(status="1").order_by("pk") if p.pk not in self.used_persons]
        p = self.pick(gone, index)
        return p and (self.event("move_out", day, person=p), "不能登记此变动")


def snapshot():
    return (
        sorted(Spell.objects.values_list("person_id", "kind", "region_code", "start", "end", "household_id")),
        sorted(Person.objects.values_list("pk", "status", "household_id", "marital_status", "registered_code")),
        sorted(Marriage.objects.values_list("pk", "end_date")),
        sorted(Household.objects.values_list("pk", "status", "head_id")),
        Event.objects.filter(review_status="approved").count(),
    )


def approve(events, period):
    Event.objects.bulk_create(events)
    at = timezone.make_aware(dt.datetime.combine(last_day(period), dt.time(12)))
    engine.apply(events, actor=None, approved_at=at)
    return at


def prefixes(regions) -> list[str]:
    return [
        regions["province"].prefix,
        regions["city"].prefix,
        regions["county"].prefix,
        regions["township_a"].prefix,
        regions["township_b"].prefix,
        regions["village_a1"].code,
        regions["village_a2"].code,
        regions["village_b1"].code,
    ]


@pytest.mark.django_db
@settings(
    max_examples=int(os.environ.get("PIMS_HYPOTHESIS_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Every type at least once, in time order and as late reports, whatever the draw.
@example(months=[[(op, i, i + 1, 3 + i, False) for i, op in enumerate(OPS)]] * 2, poison=("birth_to_man", 1))
@example(months=[[(op, 2 * i, i, 27 - i, True) for i, op in enumerate(reversed(OPS))]] * 3, poison=None)
# Found by the property: a late household merge dated before an earlier flow out.
@example(
    months=[
        [("birth", 201, 0, 1, False), ("birth", 477, 0, 1, False), ("flow_out", 141, 200, 27, False)],
        [("hh_merge", 199, 0, 1, True)],
    ],
    poison=None,
)
# Reversals of each reversible type, one month after the wrong events.
@example(
    months=[
        [
            ("death", 0, 0, 3, False),
            ("move_out", 1, 0, 4, False),
            ("move_within", 2, 1, 5, False),
            ("flow_in", 3, 0, 6, False),
            ("flow_out", 4, 1, 7, False),
            ("cancel", 5, 0, 8, False),
            ("move_in", 6, 0, 9, False),
            ("correct_region", 7, 1, 10, False),
        ],
        [("reversal", i, 0, 10 + i, i % 2 == 1) for i in range(7)],
    ],
    poison=None,
)
@given(months=stream, poison=st.one_of(st.none(), st.tuples(st.sampled_from(POISONS), st.integers(0, 50))))
def test_population_balance_holds_on_random_event_streams(regions, months, poison):
    run_stream(regions, months, poison, note)


def run_stream(regions, months, poison, note=lambda text: None):
    with transaction.atomic():
        build_world(regions)
        period, serial, approved_at = BASELINE_PERIOD, 0, None
        for intentions in months:
            period = next_period(period)
            interpreter = Interpreter(regions, period, serial)
            events = []
            for op, a, b, d, late in intentions:
                serial += 1
                interpreter.serial = serial
                if (e := interpreter.make(op, a, b, d, late)) is not None:
                    events.append(e)
            if poison is not None and (bad := interpreter.poison(*poison)) is not None:
                poison = None
                _assert_refused_and_nothing_changed(events, *bad, period)
            note(f"events in a month: {min(len(events), 5)}{'+' if len(events) > 5 else ''}")
            for e in events:
                note(f"type {e.event_type}")
            try:
                approved_at = approve(events, period)
            except EventRefused as exc:
                pytest.fail(f"the interpreter made an invalid event: {exc}")
        _assert_balance(regions, periods_between(BASELINE_PERIOD, period))
        assert selectors.spell_violations() == []
        if approved_at is not None:
            day = timezone.localdate(approved_at)
            for prefix in prefixes(regions):
                for kind in Spell.Kind.values:
                    assert selectors.population_at(prefix, day, kind) == selectors.population_end_of(
                        prefix, period, kind
                    )
        transaction.set_rollback(True)


def _assert_balance(regions, periods):
    """Month by month, chained (each month starts where the last ended), and
    once over the whole range."""
    for prefix in prefixes(regions):
        for kind in Spell.Kind.values:
            end = selectors.population_end_of(prefix, previous_period(periods[0]), kind)
            for p in periods:
                b = selectors.population_balance(prefix, p, kind=kind)
                f = b.flows
                assert b.start == end, (prefix, p, kind, b)
                if p != BASELINE_PERIOD:
                    assert f.baseline == 0
                    flows = f.births - f.deaths + f.moved_in - f.moved_out + f.corrected_in - f.corrected_out
                    assert b.end == b.start + flows, (prefix, p, kind, b)
                assert b.holds, (prefix, p, kind, b)
                end = b.end
            whole = selectors.population_balance(prefix, periods[0], periods[-1], kind=kind)
            assert whole.holds and whole.end == end, (prefix, kind, whole)
            assert whole.flows == selectors.period_flows(prefix, periods[0], periods[-1], kind=kind)


def _assert_refused_and_nothing_changed(events, bad, expected, period):
    """Apply the month with an invalid event added: refused, naming it, and
    nothing changed. Works on copies: a refused run leaves its marks (keys,
    a birth's child) on the event objects it was given."""
    before = snapshot()
    twins = [copy.copy(e) for e in events]
    with pytest.raises(EventRefused) as exc, transaction.atomic():
        approve([*twins, bad], period)
    assert len(exc.value.by_event) == 1 and exc.value.by_event[0][0] is bad
    message = exc.value.messages[0]
    assert message.startswith(f"事件 {bad.pk}（") and expected in message, message
    assert snapshot() == before
