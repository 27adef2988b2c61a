"""A synthetic, internally consistent population, deterministic by seed.

`Generator.village()` builds the households of one village from household
templates (people living alone, couples, couples with children, single
parents, three generations, an old couple with a married son and
grandchildren, collective households). Every candidate household is accepted
or redrawn by comparing its members' sex and five-year age group with the
calibration targets (`census.CELL_TARGETS`, Liaoning 2020): cells that are
short are favoured, cells that are full are damped, so the population
converges on the target age–sex structure whatever the template mix.

The result obeys the register rules by construction (legal marriage ages,
mothers aged 20–40 at birth with birth orders over the mother's whole
history, one head per family household, contraception or a pregnancy for
every married woman aged 15–49, citizen IDs that agree with sex and birth
date, …): the tests run the register rules over generated data and expect no
error. Only `random.Random(seed)` is used, so a seed always gives the same
population (for the same villages, sizes and reference date).
"""

import datetime as dt
import math
import random
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pims.lib import clock
from pims.lib.citizen_id import CHECK_CHARS, WEIGHTS, region_known
from pims.lib.dates import age_on, turns, years_before

from . import census
from .names import FEMALE_CHARS, MALE_CHARS, surname_table

T = TypeVar("T")

assert WEIGHTS[6:] == (2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # spelled out in Generator._fast_id

MALE, FEMALE = "1", "2"
HEAD, SPOUSE, SON, DAUGHTER = "02", "10", "20", "30"
FATHER, MOTHER, DAUGHTER_IN_LAW, GRANDSON, GRANDDAUGHTER = "51", "52", "38", "41", "42"
NON_RELATIVE = "99"
NEVER_MARRIED, WIDOWED, DIVORCED = "10", "30", "40"
MARRIED = ("20", "21", "22", "23")

# Household templates and their weights (share of family households before calibration).
TEMPLATES = {
    "single": 9,
    "single_old": 14,
    "couple": 10,
    "couple_old": 22,
    "nuclear": 33,
    "single_parent": 4,
    "three_generations": 5,
    "extended": 9,
}
COLLECTIVE_SHARE = 0.039  # of households: 701,282 / 18,168,393 in the 2020 bulletin
FLOW_OUT_SHARE = 0.14  # adults 18–59 registered here but living elsewhere (户在人不在)
FLOW_IN_SHARE = 0.03  # wives living here, registered in another village (人在户不在)
ETHNICITY = [("01", 85.0), ("11", 11.5), ("02", 2.0), ("03", 0.8), ("10", 0.4), ("38", 0.3)]
# Contraceptive methods for married women 15–49 (codes of the contraceptive_method table).
METHODS = [("03", 45), ("02", 18), ("07", 17), ("05", 8), ("00", 5), ("04", 4), ("06", 3)]
OCCUPATIONS = [("5", 55), ("6", 15), ("4", 15), ("2", 6), ("3", 5), ("8", 4)]
# Births per person per year the generated register and its event years aim
# at (Liaoning's crude birth rate has been 4–7 ‰ in recent years). The share
# of married women ≤ 40 who are pregnant at the baseline is set so that the
# pregnancies open then give this rate in the months they come due (measured:
# 6.0 ‰ on 20,000 persons, seed 3), and pims.synth.event_year draws the
# year's conceptions at the same rate (docs/synthetic-population.md).
BIRTH_RATE = 0.006
PREGNANT_SHARE = 0.049
PREGNANCY_DAYS = 280
KNOWN_AFTER_DAYS = 14  # a pregnancy is recorded from about two weeks on
CALIBRATION_STRENGTH = 10.0  # how hard full age–sex cells push back (see Generator._accept)


def _table(options) -> tuple[list, list[float]]:
    values, total, cum = [], 0.0, []
    for value, weight in options:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


# Education (GB/T 4658) of adults by birth cohort: before 1955, 1955–75, 1976–95, after.
EDUCATION = [
    _table((("81", 40), ("83", 20), ("71", 25), ("61", 8), ("90", 7))),
    _table((("81", 25), ("71", 45), ("61", 15), ("41", 7), ("31", 5), ("21", 3))),
    _table((("71", 40), ("61", 20), ("41", 12), ("31", 14), ("21", 12), ("14", 2))),
    _table((("71", 20), ("61", 20), ("44", 12), ("31", 25), ("21", 20), ("14", 3))),
]


@dataclass(slots=True, eq=False)
class SynthPerson:
    name: str
    sex: str
    birth_date: dt.date
    relationship: str
    marital_status: str = NEVER_MARRIED
    ethnicity: str = "01"
    education: str = ""
    occupation: str = ""
    hukou_type: str = "2"
    registered_code: str = ""
    residence_code: str = ""
    residence_status: str = "1"
    responsible_code: str = ""
    citizen_id: str = ""
    no_id_reason: str = ""
    phone: str = ""
    key: int = -1  # index in Population.persons
    household: int = -1  # index in Population.households
    row: int = 0


@dataclass(slots=True)
class SynthHousehold:
    village_code: str
    number: str
    hh_type: str
    address: str
    form_number: str
    volume_number: str
    members: list[int] = field(default_factory=list)
    head: int | None = None
    key: int = -1


@dataclass
class Population:
    """Generated rows; family records refer to persons by their index."""

    households: list[SynthHousehold] = field(default_factory=list)
    persons: list[SynthPerson] = field(default_factory=list)
    marriages: list[tuple[int, int, dt.date, str]] = field(default_factory=list)  # husband, wife, date, kind
    births: list[tuple[int, int | None, int | None, int | None]] = field(
        default_factory=list
    )  # child, mother, father, order
    contraceptions: list[tuple[int, str, dt.date]] = field(default_factory=list)  # woman, method, start
    pregnancies: list[tuple[int, dt.date]] = field(default_factory=list)  # woman, start

    def extend(self, other: "Population") -> None:
        p0, h0 = len(self.persons), len(self.households)
        for h in other.households:
            h.key += h0
            h.members = [k + p0 for k in h.members]
            h.head = None if h.head is None else h.head + p0
            self.households.append(h)
        for p in other.persons:
            p.key += p0
            p.household += h0
            self.persons.append(p)

        def shift(k):
            return None if k is None else k + p0

        self.marriages += [(a + p0, b + p0, d, kind) for a, b, d, kind in other.marriages]
        self.births += [(c + p0, shift(m), shift(f), o) for c, m, f, o in other.births]
        self.contraceptions += [(w + p0, m, d) for w, m, d in other.contraceptions]
        self.pregnancies += [(w + p0, d) for w, d in other.pregnancies]


@dataclass
class VillageSpec:
    code: str
    name: str
    persons: int
    urban: bool = False


class _Draft:
    """A candidate household: people and family records by object, not yet numbered."""

    def __init__(self):
        self.people: list[SynthPerson] = []
        self.marriages: list[tuple[SynthPerson, SynthPerson, dt.date, str]] = []
        self.births: list[tuple[SynthPerson, SynthPerson | None, SynthPerson | None, int | None]] = []
        self.contraceptions: list[tuple[SynthPerson, str, dt.date]] = []
        self.pregnancies: list[tuple[SynthPerson, dt.date]] = []
        self.wed: dict[int, dt.date] = {}  # id(wife) → wedding date
        self.children_born: dict[int, list[dt.date]] = {}  # id(mother) → her birth history

    def add(self, person: SynthPerson) -> SynthPerson:
        self.people.append(person)
        return person


class Generator:
    """Deterministic by `seed`; `as_of` is the reference date for ages."""

    def __init__(self, *, seed: int = 1, as_of: dt.date | None = None, other_codes=(), calibrate: bool = True):
        self.rnd = random.Random(seed)
        self.as_of = as_of or clock.today()
        self.other_codes = sorted(set(other_codes))
        self.calibrate = calibrate
        self.counts: Counter = Counter()
        self.total = 0
        self._seq: dict[tuple[str, dt.date, str], int] = defaultdict(int)
        self._age_tables: dict[tuple[int, int], tuple[list[int], list[float]]] = {}
        self._age_spans: dict[int, tuple[int, int]] = {}
        self._tables: dict[tuple, tuple[list, list[float]]] = {}
        self._others_for: tuple[str, list[str]] = ("", [])
        self._id_prefix: dict[str, int] = {}
        self._surnames = surname_table()
        self._surname_cum = list(_accumulate(self._surnames[1]))
        self._template_names = list(TEMPLATES)
        self._template_cum = list(_accumulate(TEMPLATES.values()))
        self._ethnicity = ([c for c, _ in ETHNICITY], list(_accumulate(w for _, w in ETHNICITY)))
        self._methods = ([c for c, _ in METHODS], list(_accumulate(w for _, w in METHODS)))
        self._occupations = ([c for c, _ in OCCUPATIONS], list(_accumulate(w for _, w in OCCUPATIONS)))

    # -- public -------------------------------------------------------------

    def village(self, spec: VillageSpec) -> Population:
        """Households of one village until it holds at least `spec.persons` people."""
        pop = Population()
        number = 0
        while len(pop.persons) < spec.persons:
            collective = self.rnd.random() < COLLECTIVE_SHARE
            for _ in range(50):
                draft = self._collective(spec) if collective else self._family(spec)
                if draft is not None and self._accept(draft):
                    break
            else:
                continue
            number += 1
            self._materialise(pop, draft, spec, number, collective)
        return pop

    def population(self, specs: list[VillageSpec]) -> Population:
        pop = Population()
        for spec in specs:
            pop.extend(self.village(spec))
        return pop

    def _others(self, code: str) -> list[str]:
        """Other villages, for people living or registered elsewhere."""
        if self._others_for[0] != code:
            self._others_for = (code, [c for c in self.other_codes if c != code])
        return self._others_for[1]

    def reissue_id(self, person: SynthPerson) -> str:
        """A fresh ID for the same person (the first one is already registered)."""
        person.citizen_id = self._citizen_id(person.registered_code or person.residence_code, person)
        return person.citizen_id

    # -- sampling helpers ---------------------------------------------------

    def _age(self, lo: int, hi: int) -> int:
        table = self._age_tables.get((lo, hi))
        if table is None:
            ages, weights = census.age_weights(lo, hi)
            table = self._age_tables[(lo, hi)] = (ages, list(_accumulate(weights)))
        return self._pick(table)

    def _birth_for_age(self, age: int) -> dt.date:
        span = self._age_spans.get(age)
        if span is None:
            lo = years_before(self.as_of, age + 1).toordinal() + 1
            span = self._age_spans[age] = (lo, years_before(self.as_of, age).toordinal() - lo + 1)
        return dt.date.fromordinal(span[0] + int(self.rnd.random() * span[1]))

    def _name(self, sex: str, surname: str | None = None) -> str:
        r = self.rnd
        if surname is None:
            surname = self._pick((self._surnames[0], self._surname_cum))
        chars = MALE_CHARS if sex == MALE else FEMALE_CHARS
        n = len(chars)
        rand = r.random
        if rand() < 0.3:
            return surname + chars[int(rand() * n)]
        return surname + chars[int(rand() * n)] + chars[int(rand() * n)]

    def _pick(self, table: tuple[Sequence[T], list[float]]) -> T:
        values, cum = table
        return values[bisect(cum, self.rnd.random() * cum[-1])]

    def _weighted(self, options: tuple) -> Any:
        """`options` is a tuple of (value, weight) pairs; tables are prepared once."""
        table = self._tables.get(options)
        if table is None:
            table = self._tables[options] = _table(options)
        return self._pick(table)

    def _person(self, sex: str, birth: dt.date, relationship: str, *, surname=None, **extra) -> SynthPerson:
        return SynthPerson(name=self._name(sex, surname), sex=sex, birth_date=birth, relationship=relationship, **extra)

    def _education(self, birth: dt.date, age: int) -> str:
        if age < 12:
            return ""
        if age < 15:
            return "81"
        if age < 18:
            return "71"
        year = birth.year
        table = EDUCATION[0 if year < 1955 else 1 if year < 1976 else 2 if year < 1996 else 3]
        return self._pick(table)

    def _occupation(self, age: int) -> str:
        if age < 18:
            return ""
        if age >= 65:
            return "5" if self.rnd.random() < 0.3 else ""
        return self._pick(self._occupations)

    def _married_code(self) -> str:
        x = self.rnd.random()
        return "20" if x < 0.7 else "21" if x < 0.95 else "22"

    # -- couples and children -------------------------------------------------

    def _couple(self, d: _Draft, husband_age: tuple[int, int], *, head_is_wife=False, surname=None):
        """A married couple (husband ≥ 22 and wife ≥ 20 on the wedding day)."""
        r = self.rnd
        for _ in range(20):
            h_age = self._age(*husband_age)
            gap = max(-4, min(10, round(r.gauss(2.0, 2.5))))
            w_age = h_age - gap
            if w_age < 20 or w_age > census.MAX_AGE:
                continue
            h_birth, w_birth = self._birth_for_age(h_age), self._birth_for_age(w_age)
            legal = max(turns(h_birth, 22), turns(w_birth, 20))
            if legal >= self.as_of:
                continue
            wed = legal + dt.timedelta(days=1 + int(min(r.expovariate(1 / 2.5), 12) * 365))
            if wed > self.as_of:
                wed = legal + dt.timedelta(days=r.randint(1, (self.as_of - legal).days))
            break
        else:
            return None
        status = self._married_code()
        eth = self._pick(self._ethnicity)
        husband = self._person(
            MALE, h_birth, SPOUSE if head_is_wife else HEAD, surname=surname, marital_status=status, ethnicity=eth
        )
        wife = self._person(
            FEMALE,
            w_birth,
            HEAD if head_is_wife else SPOUSE,
            marital_status=status,
            ethnicity=eth if r.random() < 0.8 else self._pick(self._ethnicity),
        )
        if head_is_wife:
            d.add(wife)
            d.add(husband)
        else:
            d.add(husband)
            d.add(wife)
        d.marriages.append((husband, wife, wed, "remarriage" if status == "22" else "first"))
        d.wed[id(wife)] = wed
        return husband, wife

    def _history(self, mother: SynthPerson, wed: dt.date) -> list[tuple[dt.date, str]]:
        """Every child the mother has borne (birth date, sex), oldest first:
        mothers aged 20–40, the first child after the wedding."""
        r = self.rnd
        year = mother.birth_date.year
        if year < 1955:
            n = self._weighted(((1, 10), (2, 30), (3, 35), (4, 25)))
        elif year < 1971:
            n = self._weighted(((1, 45), (2, 40), (3, 15)))
        elif year < 1991:
            n = self._weighted(((0, 6), (1, 60), (2, 34)))
        else:
            n = self._weighted(((0, 20), (1, 50), (2, 30)))
        out = []
        at = wed + dt.timedelta(days=r.randint(300, 900))
        earliest = turns(mother.birth_date, 20)
        latest = turns(mother.birth_date, 40)
        for _ in range(n):
            at = max(at, earliest)
            if at > latest or at > self.as_of:
                break
            out.append((at, MALE if r.random() < 0.515 else FEMALE))
            at = at + dt.timedelta(days=r.randint(600, 2000))
        return out

    def _children_at_home(self, d, mother, father, history, *, surname, keep=lambda age: age < 18):
        """Add the children of `history` who still live at home; birth order
        counts every child the mother has borne."""
        r = self.rnd
        added = []
        for order, (born, sex) in enumerate(history, start=1):
            age = age_on(born, self.as_of)
            at_home = keep(age) or (age < 30 and r.random() < 0.45)
            if not at_home:
                continue
            no_id = "1" if age == 0 and r.random() < 0.2 else ""
            child = d.add(
                self._person(
                    sex,
                    born,
                    SON if sex == MALE else DAUGHTER,
                    surname=surname,
                    ethnicity=(father or mother).ethnicity,
                    no_id_reason=no_id,
                )
            )
            d.births.append((child, mother, father, order))
            added.append(child)
        return added

    # -- templates ------------------------------------------------------------

    def _family(self, spec: VillageSpec) -> _Draft | None:
        name = self._pick((self._template_names, self._template_cum))
        return getattr(self, f"_t_{name}")()

    def _t_single(self, ages=(20, 59)):
        r, d = self.rnd, _Draft()
        age = self._age(*ages)
        sex = (FEMALE if r.random() < 0.62 else MALE) if age >= 60 else (MALE if r.random() < 0.6 else FEMALE)
        if age >= 60:
            marital = self._weighted(((WIDOWED, 70), (DIVORCED, 15), (NEVER_MARRIED, 15)))
        elif age >= 30:
            marital = self._weighted(((NEVER_MARRIED, 35), (DIVORCED, 45), (WIDOWED, 20)))
        else:
            marital = self._weighted(((NEVER_MARRIED, 90), (DIVORCED, 10)))
        d.add(
            self._person(
                sex, self._birth_for_age(age), HEAD, marital_status=marital, ethnicity=self._pick(self._ethnicity)
            )
        )
        return d

    def _t_single_old(self):
        return self._t_single((60, census.MAX_AGE))

    def _t_couple(self, ages=(22, 59)):
        d = _Draft()
        return d if self._couple(d, ages, head_is_wife=self.rnd.random() < 0.15) else None

    def _t_couple_old(self):
        return self._t_couple((58, 95))

    def _t_nuclear(self):
        d = _Draft()
        pair = self._couple(d, (25, 55), head_is_wife=self.rnd.random() < 0.15)
        if pair is None:
            return None
        husband, wife = pair
        history = self._history(wife, d.wed[id(wife)])
        d.children_born[id(wife)] = [b for b, _ in history]
        self._children_at_home(d, wife, husband, history, surname=husband.name[0])
        return d

    def _t_single_parent(self):
        r, d, former = self.rnd, _Draft(), _Draft()
        pair = self._couple(former, (25, 60))
        if pair is None:
            return None
        husband, wife = pair
        history = self._history(wife, former.wed[id(wife)])
        if not history:
            return None
        parent = wife if r.random() < 0.7 else husband
        parent.relationship = HEAD
        parent.marital_status = self._weighted(((DIVORCED, 70), (WIDOWED, 30)))
        d.add(parent)
        mother, father = (wife, None) if parent is wife else (None, husband)
        if mother is not None:
            d.children_born[id(wife)] = [b for b, _ in history]
        kids = self._children_at_home(d, mother, father, history, surname=husband.name[0])
        return d if kids else None

    def _t_three_generations(self):
        r, d = self.rnd, _Draft()
        pair = self._couple(d, (28, 55), surname=None)
        if pair is None:
            return None
        husband, wife = pair
        history = self._history(wife, d.wed[id(wife)])
        d.children_born[id(wife)] = [b for b, _ in history]
        self._children_at_home(d, wife, husband, history, surname=husband.name[0])
        # The head's parent(s): the mother was 20–38 and the father 22–40 at the head's birth.
        head = husband
        both = r.random() < 0.35
        grandma = grandpa = None
        if both or r.random() < 0.7:
            m_birth = years_before(head.birth_date, r.randint(20, 38)) - dt.timedelta(days=r.randint(1, 300))
            if age_on(m_birth, self.as_of) <= census.MAX_AGE:
                grandma = d.add(self._person(FEMALE, m_birth, MOTHER, marital_status=WIDOWED, ethnicity=head.ethnicity))
        if both or grandma is None:
            f_birth = years_before(head.birth_date, r.randint(24, 40)) - dt.timedelta(days=r.randint(1, 300))
            if age_on(f_birth, self.as_of) <= census.MAX_AGE:
                grandpa = d.add(
                    self._person(
                        MALE, f_birth, FATHER, surname=head.name[0], marital_status=WIDOWED, ethnicity=head.ethnicity
                    )
                )
        if grandma is None and grandpa is None:
            return None
        if grandma is not None and grandpa is not None:
            legal = max(turns(grandpa.birth_date, 22), turns(grandma.birth_date, 20))
            if legal < head.birth_date - dt.timedelta(days=300):
                wed = legal + dt.timedelta(days=r.randint(1, (head.birth_date - legal).days - 299))
                grandma.marital_status = grandpa.marital_status = "20"
                d.marriages.append((grandpa, grandma, wed, "first"))
            else:
                grandpa.marital_status = WIDOWED
                d.people.remove(grandpa)
                grandpa = None
        # The head's own birth record: parents in the household, order unknown.
        d.births.append((head, grandma, grandpa, None))
        return d

    def _t_extended(self):
        r, d = self.rnd, _Draft()
        pair = self._couple(d, (46, 80))
        if pair is None:
            return None
        husband, wife = pair
        history = self._history(wife, d.wed[id(wife)])
        sons = [(i, b) for i, (b, s) in enumerate(history, start=1) if s == MALE and age_on(b, self.as_of) >= 23]
        if not sons:
            return None
        order, son_birth = r.choice(sons)
        son = d.add(self._person(MALE, son_birth, SON, surname=husband.name[0], ethnicity=husband.ethnicity))
        d.births.append((son, wife, husband, order))
        son_age = age_on(son_birth, self.as_of)
        for _ in range(10):
            dil_age = son_age - max(-3, min(6, round(r.gauss(2, 2))))
            if dil_age >= 20:
                break
        else:
            return None
        dil_birth = self._birth_for_age(dil_age)
        legal = max(turns(son_birth, 22), turns(dil_birth, 20))
        if legal >= self.as_of:
            return None
        wed = legal + dt.timedelta(days=r.randint(1, min(4 * 365, (self.as_of - legal).days)))
        status = self._married_code()
        son.marital_status = status
        dil = d.add(
            self._person(
                FEMALE, dil_birth, DAUGHTER_IN_LAW, marital_status=status, ethnicity=self._pick(self._ethnicity)
            )
        )
        d.marriages.append((son, dil, wed, "remarriage" if status == "22" else "first"))
        d.wed[id(dil)] = wed
        grand = self._history(dil, wed)
        d.children_born[id(dil)] = [b for b, _ in grand]
        for g_order, (born, sex) in enumerate(grand, start=1):
            if age_on(born, self.as_of) >= 25:
                continue
            no_id = "1" if age_on(born, self.as_of) == 0 and r.random() < 0.2 else ""
            child = d.add(
                self._person(
                    sex,
                    born,
                    GRANDSON if sex == MALE else GRANDDAUGHTER,
                    surname=son.name[0],
                    ethnicity=son.ethnicity,
                    no_id_reason=no_id,
                )
            )
            d.births.append((child, dil, son, g_order))
        return d

    def _collective(self, spec: VillageSpec) -> _Draft:
        r, d = self.rnd, _Draft()
        size = 1 + min(int(r.expovariate(1 / 2.8)), 29)
        for _ in range(size):
            age = self._age(16, 64) if r.random() < 0.7 else r.randint(18, 30)
            sex = MALE if r.random() < 0.55 else FEMALE
            marital = NEVER_MARRIED if age < 25 or r.random() < 0.5 else "20"
            d.add(
                self._person(
                    sex,
                    self._birth_for_age(age),
                    NON_RELATIVE,
                    marital_status=marital,
                    ethnicity=self._pick(self._ethnicity),
                )
            )
        return d

    # -- calibration ----------------------------------------------------------

    def _accept(self, d: _Draft) -> bool:
        """Favour households whose members fall in cells short of their target."""
        if not self.calibrate or self.total < 200:
            return True
        n, s = self.total, len(d.people)
        score = 0.0
        for p in d.people:
            cell = (p.sex, census.group_of(age_on(p.birth_date, self.as_of)))
            expected = census.CELL_TARGETS.get(cell, 0.0) * (n + s)
            score += math.log((expected + 1) / (self.counts[cell] + 1))
        return self.rnd.random() < min(1.0, math.exp(CALIBRATION_STRENGTH * score / s))

    # -- numbering, IDs, family planning ---------------------------------------

    def _citizen_id(self, code: str, p: SynthPerson) -> str:
        region6 = code[:6]
        key = (region6, p.birth_date, p.sex)
        n = self._seq[key]
        self._seq[key] = n + 1
        seq = 2 * n + 1 if p.sex == MALE else 2 * n + 2
        if seq > 999:
            raise ValueError(f"more than 499 {p.sex=} people born on {p.birth_date} in {region6}")
        return self._fast_id(region6, p.birth_date, seq)

    def _fast_id(self, region6: str, birth: dt.date, seq: int) -> str:
        """`make_citizen_id` with the GB 11643 weights (7 9 10 5 8 4 | 2 1 6 3
        7 9 10 5 | 8 4 2) written out; the tests compare the two."""
        region = self._id_prefix.get(region6)
        if region is None:
            region = self._id_prefix[region6] = sum(int(c) * w for c, w in zip(region6, WEIGHTS[:6], strict=True))
        y, m, d = birth.year, birth.month, birth.day
        total = (
            region
            + (y // 1000) * 2
            + (y // 100 % 10) * 1
            + (y // 10 % 10) * 6
            + (y % 10) * 3
            + (m // 10) * 7
            + (m % 10) * 9
            + (d // 10) * 10
            + (d % 10) * 5
            + (seq // 100) * 8
            + (seq // 10 % 10) * 4
            + (seq % 10) * 2
        )
        return f"{region6}{y:04d}{m:02d}{d:02d}{seq:03d}{CHECK_CHARS[total % 11]}"

    def _materialise(self, pop: Population, d: _Draft, spec: VillageSpec, number: int, collective: bool) -> None:
        r = self.rnd
        h_key = len(pop.households)
        group = 1 + (number - 1) // 40
        hh = SynthHousehold(
            village_code=spec.code,
            number=f"{number:06d}",
            hh_type="2" if collective else "1",
            address=f"{spec.name}{'集体户' if collective else f'{group}组'}{number}号",
            form_number=f"{spec.code[-6:]}{number:06d}",
            volume_number=f"{spec.code}-{(number - 1) // 50 + 1:03d}",
            key=h_key,
        )
        hukou = ("3" if spec.urban else "4") if collective else ("1" if spec.urban else "2")
        others = self._others(spec.code)
        rand = r.random
        counts, as_of = self.counts, self.as_of
        for row, p in enumerate(d.people, start=1):
            p.key, p.household, p.row = len(pop.persons), h_key, row
            p.hukou_type = hukou
            p.registered_code = p.residence_code = spec.code
            age = age_on(p.birth_date, as_of)
            if not p.education:
                p.education = self._education(p.birth_date, age)
            p.occupation = self._occupation(age)
            if others and 18 <= age < 60 and rand() < FLOW_OUT_SHARE:
                p.residence_status, p.residence_code = "3", others[int(rand() * len(others))]
            elif others and p.sex == FEMALE and p.relationship in (SPOUSE, DAUGHTER_IN_LAW) and rand() < FLOW_IN_SHARE:
                p.residence_status, p.registered_code = "2", others[int(rand() * len(others))]
            p.responsible_code = p.registered_code
            if age >= 85 and rand() < 0.03:
                p.no_id_reason = "2"
            if not p.no_id_reason:
                p.citizen_id = self._citizen_id(spec.code, p)
            if 18 <= age <= 75 and rand() < 0.7:
                p.phone = f"1{'3578'[int(rand() * 4)]}{int(rand() * 1e9):09d}"
            pop.persons.append(p)
            hh.members.append(p.key)
            counts[(p.sex, age - age % 5 if age < 85 else 85)] += 1
        self.total += len(d.people)
        if not collective:
            hh.head = next(p.key for p in d.people if p.relationship == HEAD)
        pop.households.append(hh)
        for husband, wife, wed, kind in d.marriages:
            if husband.registered_code != wife.registered_code:
                # Seed rule: the wife's registered place is responsible for the couple.
                husband.responsible_code = wife.responsible_code = wife.registered_code
            pop.marriages.append((husband.key, wife.key, wed, kind))
        for child, mother, father, order in d.births:
            pop.births.append((child.key, mother.key if mother else None, father.key if father else None, order))
        self._family_planning(pop, d)

    def _family_planning(self, pop: Population, d: _Draft) -> None:
        """Every married woman aged 15–49 with her husband at home has a method
        in use (possibly 00, none) or a current pregnancy."""
        r = self.rnd
        couples = [(wife, wed) for _husband, wife, wed, _kind in d.marriages]
        paired = {id(w) for w, _ in couples}
        for p in d.people:  # married women whose husband is not in the household (collective households)
            if p.sex == FEMALE and p.marital_status in MARRIED and id(p) not in paired:
                since = turns(p.birth_date, 20) + dt.timedelta(days=r.randint(1, 2000))
                couples.append((p, min(since, self.as_of - dt.timedelta(days=1))))
        for wife, wed in couples:
            age = age_on(wife.birth_date, self.as_of)
            if not 15 <= age <= 49:
                continue
            children = d.children_born.get(id(wife), [])
            if age <= 40 and r.random() < PREGNANT_SHARE:
                # Started any day of the last 40 weeks (known after two): the due
                # dates fall evenly over the coming months, January included.
                start = self.as_of - dt.timedelta(days=r.randint(KNOWN_AFTER_DAYS, PREGNANCY_DAYS - 1))
                if start > wed and age_on(wife.birth_date, start) >= 20:
                    pop.pregnancies.append((wife.key, start))
                    continue
            method = self._pick(self._methods)
            if method == "02" and not children:
                method = "03"
            begin = max([wed, *(c + dt.timedelta(days=90) for c in children)])
            start = min(begin + dt.timedelta(days=r.randint(0, 700)), self.as_of)
            last = turns(wife.birth_date, 50) - dt.timedelta(days=1)  # still 49
            pop.contraceptions.append((wife.key, method, min(start, last)))


def _accumulate(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def id_region_ok(code: str, birth_year: int) -> bool:
    """Whether IDs with this village's county prefix are valid for the year."""
    return region_known(code[:6] + "0" * 12, birth_year)
