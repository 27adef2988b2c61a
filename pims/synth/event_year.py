"""A year of change events for the register (the generated population).

`EventPlanner.plan(period)` reads the register under the chosen region
prefixes as it stands at the start of the month and draws that month's
events — births (from the open pregnancies that come due), deaths by age,
marriages of single adults, divorces, pregnancies and their non-live
outcomes, contraception starts/changes/stops, moves out of the county,
moves in from outside, moves within the county (机械变动), flows out and
back, and migrants flowing in — as unsaved `Event` rows with the payloads
the events app's handlers expect. They are applied month by month through
the events engine's set-based path (`pims.synth.services.event_year_write`
→ `pims.events.engine.apply`), approved at the end of their month, so the
population balance holds by construction.

Deterministic by seed: one `random.Random(seed, year)` stream, people and
households taken in a stable order (village, household number, row) — not
by database id — so the same register and seed give the same events.

Within a month every person (and, for events that change who lives in a
household, every household) takes part in at most one event, so that the
month's events never contradict each other; a person's event is dated no
earlier than their latest change (the register is never rewritten
backwards).

Rates are annual, per person at risk, chosen to give crude rates of the
order of Liaoning's in recent years (births ≈ 5‰, deaths ≈ 8–9‰,
marriages ≈ 5‰): they make a plausible demo and benchmark stream, not a
forecast.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Q

from pims.events.models import Event, EventType, Spell
from pims.events.periods import first_day, last_day
from pims.lib.citizen_id import make_citizen_id
from pims.lib.dates import age_on
from pims.registry.models import Contraception, Household, Marriage, Person, PersonStatus, Pregnancy
from pims.registry.personal import citizen_id_stored, outcome_payload

from .generator import BIRTH_RATE
from .names import FEMALE_CHARS, MALE_CHARS, surname_table

# Places outside the county that people move to and come from (Shenyang's
# districts, Tieling, Dalian, Beijing, Jinan).
ELSEWHERE = [
    "210102000000",
    "210103000000",
    "210106000000",
    "211202000000",
    "210202000000",
    "110105000000",
    "370102000000",
]

# Annual probabilities per person at risk.
MOVE_OUT = 0.010  # registered here, 18–45
MOVE_WITHIN = 0.006  # registered here, 18–60
FLOW_OUT = 0.015  # registered and living here, 18–50
FLOW_BACK = 0.10  # registered here, living elsewhere
MIGRANT_LEAVES = 0.15  # living here, hukou elsewhere
MARRY = 0.12  # single men 22–40 (a single woman 20–38 is found for each)
DIVORCE = 0.004  # married men
CONTRA_START = 0.25  # married women 15–49, no method (or 00 none), not pregnant
CONTRA_CHANGE = 0.04
CONTRA_STOP = 0.03  # 0.08 at 22–35 (to have a child), 0.15 from 45
EARLY_LOSS = 0.02  # per month of an open pregnancy in its first five months
PREGNANCY_WEEKS = 40
# The share of conceptions that end in a birth: EARLY_LOSS in each of the
# first five months, 1 % stillborn.
SURVIVAL = (1 - EARLY_LOSS) ** 5 * 0.99
# Newcomers per year, per person in the register.
MOVE_IN = 0.004
MIGRANT_ARRIVES = 0.003

NO_METHOD = "00"
# Methods taken up during the year (IUD, implant, pill, injection, condom) and their weights.
TAKEN_UP, TAKE_UP_WEIGHTS = ["03", "04", "05", "06", "07"], [45, 4, 8, 3, 17]
HEAD, SPOUSE, DAUGHTER_IN_LAW, OTHER_RELATIVE, NON_RELATIVE = "02", "10", "38", "97", "99"
MARRIED, SINGLE = {"20", "21", "22", "23"}, {"10", "30", "40"}


def death_rate(age: int) -> float:
    """Annual probability of dying at an age (a Gompertz curve, infants apart)."""
    if age < 1:
        return 0.004
    return min(0.45, 0.0003 * math.exp(0.087 * max(age - 20, 0)))


def pregnancy_rate(age: int) -> float:
    """Annual, for a married woman using no method."""
    if 20 <= age <= 29:
        return 0.80
    if 30 <= age <= 34:
        return 0.50
    if 35 <= age <= 40:
        return 0.15
    return 0.0


def contra_stop_rate(age: int) -> float:
    return 0.15 if age >= 45 else 0.08 if 22 <= age <= 35 else CONTRA_STOP


def monthly(annual: float) -> float:
    return 1 - (1 - annual) ** (1 / 12)


@dataclass
class _P:
    pk: int
    hh: int
    code: str  # the household's village
    number: str
    row: int
    name: str
    sex: str
    birth: dt.date
    marital: str
    relationship: str
    hukou: str
    registered: str | None  # region of the open registered spell
    resident: str | None  # region of the open resident spell
    last: dt.date  # latest spell change

    @property
    def key(self):
        return (self.code, self.number, self.row)

    @property
    def registered_here(self) -> bool:
        return self.registered == self.code

    @property
    def living_here(self) -> bool:
        return self.resident == self.code


class _Register:
    """The part of the register the month's draws need, read set-wise."""

    def __init__(self, prefixes: list[str]):
        where = Q()
        for prefix in prefixes:
            where |= Q(household__region_code__startswith=prefix)
        spells: defaultdict[int, dict[str, str]] = defaultdict(dict)
        last: dict[int, dt.date] = {}
        people = Person.objects.filter(where, status=PersonStatus.ACTIVE)
        scoped = Spell.objects.filter(person__in=people.values("pk"))
        for pid, kind, region in scoped.filter(end__isnull=True).values_list("person_id", "kind", "region_code"):
            spells[pid][kind] = region
        for latest in scoped.values("person_id").annotate(s=Max("start"), e=Max("end")):
            last[latest["person_id"]] = max(d for d in (latest["s"], latest["e"]) if d is not None)
        self.persons: list[_P] = []
        for pk, hh, code, number, row, name, sex, birth, marital, rel, hukou in people.values_list(
            "pk",
            "household_id",
            "household__region_code",
            "household__number",
            "row",
            "name",
            "sex",
            "birth_date",
            "marital_status",
            "relationship",
            "hukou_type",
        ):
            s = spells.get(pk, {})
            self.persons.append(
                _P(
                    pk,
                    hh,
                    code,
                    number,
                    row,
                    name,
                    sex,
                    birth,
                    marital,
                    rel,
                    hukou,
                    s.get(Spell.Kind.REGISTERED),
                    s.get(Spell.Kind.RESIDENT),
                    last.get(pk, birth),
                )
            )
        self.persons.sort(key=lambda p: p.key)
        self.by_pk = {p.pk: p for p in self.persons}
        self.members = defaultdict(list)
        for p in self.persons:
            self.members[p.hh].append(p)
        in_prefixes = Q()
        for prefix in prefixes:
            in_prefixes |= Q(region_code__startswith=prefix)
        households = Household.objects.filter(in_prefixes, status=Household.Status.ACTIVE)
        self.households = sorted(households.values_list("region_code", "number", "pk", "head_id", "hh_type"))
        self.head = {pk: head for _c, _n, pk, head, _t in self.households}
        # Family households with members, for people who move in.
        self.family = [(c, pk) for c, _n, pk, _h, t in self.households if t == "1" and self.members.get(pk)]
        self.spouse: dict[int, int] = {}
        for h, w in Marriage.objects.filter(end_date__isnull=True, husband__in=people.values("pk")).values_list(
            "husband_id", "wife_id"
        ):
            self.spouse[h], self.spouse[w] = w, h
        self.pregnancy = dict(
            Pregnancy.objects.filter(ended=False, woman__in=people.values("pk")).values_list("woman_id", "start_date")
        )
        self.contraception = {
            w: (m, s)
            for w, m, s in Contraception.objects.filter(
                end_date__isnull=True, woman__in=people.values("pk")
            ).values_list("woman_id", "method", "start_date")
        }
        self.size = len(self.persons)

    def spouse_of(self, p: _P) -> _P | None:
        spouse = self.spouse.get(p.pk)
        return self.by_pk.get(spouse) if spouse is not None else None


class EventPlanner:
    def __init__(self, *, seed: int, year: int, prefixes: list[str], today: dt.date, after: dt.date | None = None):
        """Events dated after `after` (the baseline) and no later than `today`."""
        self.rng = random.Random(f"events-{seed}-{year}")
        self.year, self.prefixes, self.today = year, prefixes, today
        self.after = after or dt.date(year - 1, 12, 31)
        self.surnames, self.surname_weights = surname_table()
        self.serial = 0

    def periods(self) -> list[str]:
        """The year's months that have begun by today and end after the baseline."""
        out = []
        for month in range(1, 13):
            period = f"{self.year:04d}-{month:02d}"
            if first_day(period) <= self.today and last_day(period) > self.after:
                out.append(period)
        return out

    # --- one month --------------------------------------------------------------

    def plan(self, period: str) -> list[Event]:
        self.reg = _Register(self.prefixes)
        self.period = period
        self.start = max(first_day(period), self.after + dt.timedelta(days=1))
        self.end = min(last_day(period), self.today)
        self.used_persons: set[int] = set()
        self.used_households: set[int] = set()
        self.used_ids: set[str] = set()
        self.events: list[Event] = []
        self.brides = defaultdict(list)  # single women 20–38 by township
        for w in self.reg.persons:
            single = w.sex == "2" and w.marital in SINGLE and w.pk not in self.reg.spouse
            if single and w.resident is not None and 20 <= age_on(w.birth, self.start) <= 38:
                self.brides[w.code[:9]].append(w)
        self.conception_scale = self._conception_scale()
        rng = self.rng
        for p in self.reg.persons:
            if p.pk in self.used_persons:
                continue
            age = age_on(p.birth, self.start)
            if p.sex == "2" and p.pk in self.reg.pregnancy and self._pregnancy_end(p):
                continue
            u = rng.random()
            for chance, act in self._hazards(p, age):
                if u < chance:
                    act(p)
                    break
                u -= chance
        self._newcomers(EventType.MOVE_IN, MOVE_IN)
        self._newcomers(EventType.FLOW_IN, MIGRANT_ARRIVES)
        return self.events

    def _at_risk(self, p: _P, age: int) -> bool:
        """A married woman 15–49 using no method and not pregnant."""
        if p.sex != "2" or p.pk not in self.reg.spouse or not 15 <= age <= 49 or p.pk in self.reg.pregnancy:
            return False
        current = self.reg.contraception.get(p.pk)
        return current is None or current[0] == NO_METHOD

    def _conception_scale(self) -> float:
        """The factor on each woman's age-specific pregnancy rate that makes
        the month's expected conceptions those of BIRTH_RATE over the
        register (less the pregnancies that end early): births stay steady
        month by month instead of following the contraception mix."""
        weights = sum(
            monthly(pregnancy_rate(age_on(p.birth, self.start)))
            for p in self.reg.persons
            if self._at_risk(p, age_on(p.birth, self.start))
        )
        self.conception_target = BIRTH_RATE * self.reg.size / 12 / SURVIVAL
        return self.conception_target / weights if weights else 0.0

    def _hazards(self, p: _P, age: int):
        """(monthly probability, action) pairs; one draw picks at most one."""
        out = [(monthly(death_rate(age)), self._death)]
        if p.registered_here:
            if 18 <= age <= 45:
                out.append((monthly(MOVE_OUT), self._move_out))
            if 18 <= age <= 60:
                out.append((monthly(MOVE_WITHIN), self._move_within))
            if p.living_here and 18 <= age <= 50:
                out.append((monthly(FLOW_OUT), self._flow_out))
            if not p.living_here:
                out.append((monthly(FLOW_BACK), self._flow_back))
        elif p.registered is None and p.living_here:
            out.append((monthly(MIGRANT_LEAVES), self._flow_out))
        if p.sex == "1" and p.marital in SINGLE and 22 <= age <= 40:
            out.append((monthly(MARRY), self._marriage))
        if p.sex == "1" and p.pk in self.reg.spouse:
            out.append((monthly(DIVORCE), self._divorce))
        if p.sex == "2" and p.pk in self.reg.spouse and 15 <= age <= 49 and p.pk not in self.reg.pregnancy:
            current = self.reg.contraception.get(p.pk)
            if current is None or current[0] == NO_METHOD:
                out.append((min(0.5, monthly(pregnancy_rate(age)) * self.conception_scale), self._pregnancy))
                # Taking up a method: a start, or a change from the recorded 00 (none).
                out.append((monthly(CONTRA_START), self._contra_start if current is None else self._contra_change))
            else:
                out.append((monthly(CONTRA_CHANGE), self._contra_change))
                out.append((monthly(contra_stop_rate(age)), self._contra_stop))
        return out

    # --- helpers ------------------------------------------------------------------

    def _day(self, *people: _P) -> dt.date | None:
        day = self.start + dt.timedelta(days=self.rng.randrange((self.end - self.start).days + 1))
        for p in people:
            day = max(day, p.last, p.birth)
        return day if day <= self.end else None

    def _free(self, *people: _P, households=()) -> bool:
        return not any(p.pk in self.used_persons for p in people) and not any(
            h in self.used_households for h in households
        )

    def _take(self, *people: _P, households=()) -> None:
        self.used_persons.update(p.pk for p in people)
        self.used_households.update(households)

    def _event(
        self, event_type, day, *, person=None, related=None, household=None, region="", source="village", **payload
    ) -> Event:
        who = person or related
        event = Event(
            event_type=event_type,
            person_id=who.pk if person else None,
            related_person_id=related.pk if related else None,
            household_id=household,
            region_code=region or (who.registered or who.code if who else ""),
            effective_date=day,
            report_date=self.end,
            source=source,
            review_status=Event.Review.PENDING,
            payload=payload,
        )
        self.events.append(event)
        return event

    def _new_head(self, p: _P, leaving=()) -> dict:
        """{} when the household keeps no one or p is not its head; else the
        eldest member who stays, as the new head."""
        if self.reg.head.get(p.hh) != p.pk:
            return {}
        stay = [m for m in self.reg.members[p.hh] if m.pk != p.pk and m not in leaving]
        if not stay:
            return {}
        eldest = min(stay, key=lambda m: (m.birth, m.row))
        return {"new_head_id": eldest.pk}

    def _leave(self, event_type, p: _P, *, spouse_too=False, source="village", **payload) -> None:
        """An event that takes p out of their household (death, moves)."""
        spouse = self.reg.spouse_of(p) if spouse_too else None
        people = [p] + ([spouse] if spouse else [])
        if not self._free(*people, households=[p.hh]) or (day := self._day(p)) is None:
            return
        self._take(*people, households=[p.hh])
        self._event(event_type, day, person=p, source=source, **payload, **self._new_head(p))

    def _name(self, sex: str, surname: str | None = None) -> str:
        surname = surname or self.rng.choices(self.surnames, self.surname_weights)[0]
        chars = MALE_CHARS if sex == "1" else FEMALE_CHARS
        return surname + "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))

    # --- the events -----------------------------------------------------------------

    def _death(self, p):
        self._leave(EventType.DEATH, p, spouse_too=True)

    def _move_out(self, p):
        self._leave(EventType.MOVE_OUT, p, source="police", destination_code=self.rng.choice(ELSEWHERE))

    def _move_within(self, p):
        family = self.reg.family
        if not family:
            return
        for _try in range(5):  # another village's household
            code, target = family[self.rng.randrange(len(family))]
            if code != p.code:
                break
        if code == p.code or not self._free(p, households=[p.hh, target]) or (day := self._day(p)) is None:
            return
        self._take(p, households=[p.hh, target])
        self._event(
            EventType.MOVE_WITHIN,
            day,
            person=p,
            household=target,
            source="police",
            relationship=OTHER_RELATIVE,
            move_residence=True,
            **self._new_head(p),
        )

    def _flow_out(self, p):
        if p.registered is None:  # a migrant leaves the household
            self._leave(EventType.FLOW_OUT, p, destination_code=self.rng.choice(ELSEWHERE), reason="1")
            return
        if not self._free(p) or (day := self._day(p)) is None:
            return
        self._take(p)
        self._event(
            EventType.FLOW_OUT,
            day,
            person=p,
            destination_code=self.rng.choice(ELSEWHERE),
            reason=self.rng.choice("1113"),
        )

    def _flow_back(self, p):
        if not self._free(p) or (day := self._day(p)) is None:
            return
        self._take(p)
        self._event(EventType.FLOW_IN, day, person=p, household=p.hh, residence_code=p.code, reason="2")

    def _marriage(self, man):
        if not self._free(man):
            return
        women = self.brides.get(man.code[:9])
        if not women:
            return
        woman = women[self.rng.randrange(len(women))]
        if woman.pk in self.used_persons or woman.hh == man.hh or abs(woman.birth.year - man.birth.year) > 8:
            return
        day = self._day(man, woman)
        if day is None or age_on(man.birth, day) < 22 or age_on(woman.birth, day) < 20:
            return
        move = woman.registered_here and self._free(households=[man.hh, woman.hh])
        payload = {"move_wife": move}
        if move:
            if self.reg.head.get(man.hh) != man.pk:
                payload["relationship"] = DAUGHTER_IN_LAW if man.relationship.startswith("2") else OTHER_RELATIVE
            payload.update(self._new_head(woman))
            self._take(households=[man.hh, woman.hh])
        self._take(man, woman)
        self._event(EventType.MARRIAGE, day, person=man, related=woman, source="civil", **payload)

    def _divorce(self, man):
        wife = self.reg.by_pk.get(self.reg.spouse[man.pk])
        if wife is None or not self._free(man, wife) or (day := self._day(man, wife)) is None:
            return
        self._take(man, wife)
        self._event(EventType.DIVORCE, day, person=man, related=wife, source="civil")

    def _pregnancy(self, woman):
        if not self._free(woman) or (day := self._day(woman)) is None or age_on(woman.birth, day) > 49:
            return
        self._take(woman)
        self._event(EventType.PREGNANCY, day, person=woman, source="health")

    def _pregnancy_end(self, woman) -> bool:
        """An open pregnancy that comes due this month ends in a birth (1 %
        stillborn); in its first months it may end early. True if an event
        was drawn."""
        started = self.reg.pregnancy[woman.pk]
        due = started + dt.timedelta(weeks=PREGNANCY_WEEKS)
        early = (self.start - started).days < 150 and self.rng.random() < EARLY_LOSS
        if due > self.end and not early:
            return False
        if not self._free(woman, households=[woman.hh]):
            return False
        day = self._day(woman) if early or due < self.start else max(due, woman.last)
        if day is None or day > self.end:
            return False
        if early or self.rng.random() < 0.01:
            self._take(woman)
            self._event(
                EventType.PREG_OUTCOME,
                day,
                person=woman,
                source="health",
                **outcome_payload(self.rng.choice("34") if early else "2"),
            )
            return True
        husband = self.reg.spouse_of(woman)
        sex = self.rng.choice("12")
        self._take(woman, households=[woman.hh])
        self.serial += 1
        self._event(
            EventType.BIRTH,
            day,
            related=woman,
            household=woman.hh,
            source="health",
            sex=sex,
            name=self._name(sex, (husband or woman).name[:1]),
            relationship=self._child_relationship(woman, sex),
            certificate_no=f"S{self.year}{self.serial:07d}",
        )
        return True

    @staticmethod
    def _child_relationship(mother: _P, sex: str) -> str:
        if mother.relationship in (HEAD, SPOUSE, "11", "12"):
            return "20" if sex == "1" else "30"
        if mother.relationship == DAUGHTER_IN_LAW:
            return "41" if sex == "1" else "42"
        if mother.relationship.startswith("3"):
            return "43" if sex == "1" else "44"
        return OTHER_RELATIVE

    def _contra_start(self, woman):
        if not self._free(woman) or (day := self._day(woman)) is None:
            return
        self._take(woman)
        method = self.rng.choices(TAKEN_UP, TAKE_UP_WEIGHTS)[0]
        self._event(EventType.CONTRA_START, day, person=woman, source="village", method=method)

    def _contra_change(self, woman):
        current, started = self.reg.contraception[woman.pk]
        options = [(m, w) for m, w in zip(TAKEN_UP, TAKE_UP_WEIGHTS, strict=True) if m != current]
        if not self._free(woman) or (day := self._day(woman)) is None or day < started:
            return
        self._take(woman)
        method = self.rng.choices([m for m, _ in options], [w for _, w in options])[0]
        self._event(EventType.CONTRA_CHANGE, day, person=woman, source="village", method=method)

    def _contra_stop(self, woman):
        _current, started = self.reg.contraception[woman.pk]
        if not self._free(woman) or (day := self._day(woman)) is None or day < started:
            return
        self._take(woman)
        self._event(EventType.CONTRA_STOP, day, person=woman, source="village")

    def _newcomers(self, event_type, annual: float) -> None:
        """People from outside, into family households (a move in brings the
        hukou; a migrant flowing in keeps it elsewhere)."""
        expected = self.reg.size * annual / 12
        n = int(expected) + (self.rng.random() < expected - int(expected))
        family = self.reg.family
        for _ in range(n):
            if not family:
                return
            code, hh = family[self.rng.randrange(len(family))]
            if hh in self.used_households:
                continue
            day = self._day()
            members = self.reg.members.get(hh, [])
            if day is None or not members:
                continue
            sex = self.rng.choice("12")
            birth = dt.date(day.year - self.rng.randint(18, 45), self.rng.randint(1, 12), self.rng.randint(1, 28))
            origin = self.rng.choice(ELSEWHERE)
            number = make_citizen_id(origin[:6], birth, self.rng.randrange(1000), sex)
            cipher, index, masked = citizen_id_stored(number)
            if index is None or index in self.used_ids or Person.objects.filter(id_index=index).exists():
                continue
            self.used_ids.add(index)
            self.used_households.add(hh)
            person = {
                "name": self._name(sex),
                "sex": sex,
                "birth_date": birth.isoformat(),
                "ethnicity": "01",
                "marital_status": "10",
                "hukou_type": members[0].hukou or "2",
                "id_cipher": cipher,
                "id_index": index,
                "id_masked": masked,
                "id_sex": sex,
                "id_birth_date": birth.isoformat(),
            }
            if event_type == EventType.MOVE_IN:
                self._event(
                    event_type,
                    day,
                    household=hh,
                    region=code,
                    source="police",
                    relationship=OTHER_RELATIVE,
                    origin_code=origin,
                    **person,
                )
            else:
                self._event(
                    event_type,
                    day,
                    household=hh,
                    region=code,
                    relationship=NON_RELATIVE,
                    registered_code=origin,
                    reason="1",
                    **person,
                )
