"""The part of the register a batch of events touches, held in memory.

Applying a month of events with one ORM save per change would cost tens of
thousands of round trips. Instead `RegisterState.load` reads every row the
batch can look at or change — the persons named by the events, their
spouses, their households and fellow members, open spells, marriages, open
pregnancies and contraceptions, birth counts — in a fixed handful of
queries; each handler validates and applies its event against this state,
in order, so that later events see the effects of earlier ones; `flush`
then writes every change with bulk statements. A dry run (checking a report
before it is submitted) is the same without the flush.

Objects are keyed by identity (`id(obj)`), not by primary key, because
persons, households and spells created by the batch have no key until the
flush.
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from pims.regions.models import Level, Region
from pims.registry.models import Birth, Contraception, Household, Marriage, Person, PersonStatus, Pregnancy
from pims.registry.personal import pregnancy_outcome_stored

from .bulk import any_of, bulk_update
from .models import Event, Spell
from .spell_attrs import spell_attrs_of, spell_person_attrs_sync

# Payload keys that name persons or households; handlers use only these.
PERSON_KEYS = ("father_id", "new_head_id", "head_id", "after_person")
HOUSEHOLD_KEYS = ("household_id", "target_household_id")

PERSON_WRITE_FIELDS = [
    "household",
    "row",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "occupation",
    "hukou_type",
    "marital_status",
    "relationship",
    "registered_code",
    "residence_code",
    "responsible_code",
    "residence_status",
    "status",
    "death_date",
    "id_cipher",
    "id_index",
    "id_masked",
    "id_sex",
    "id_birth_date",
    "no_id_reason",
    "updated_at",
]


def event_refs(event: Event) -> tuple[set[int], set[int]]:
    """Primary keys of the persons and households an event names."""
    persons = {pk for pk in (event.person_id, event.related_person_id) if pk}
    households = {event.household_id} if event.household_id else set()
    p = event.payload or {}
    persons |= {int(p[k]) for k in PERSON_KEYS if str(p.get(k) or "").isdigit()}
    households |= {int(p[k]) for k in HOUSEHOLD_KEYS if str(p.get(k) or "").isdigit()}
    for m in p.get("members") or []:
        if str(m.get("person_id") or "").isdigit():
            persons.add(int(m["person_id"]))
    return persons, households


class RegisterState:
    def __init__(self, *, period: str, today: dt.date, actor=None):
        self.period = period
        self.today = today
        self.actor = actor
        self.persons: dict[int, Person] = {}
        self.households: dict[int, Household] = {}
        self._members: dict[int, list[Person]] = defaultdict(list)
        self._spells: dict[tuple[int, str], Spell] = {}
        self._last_end: dict[int, dt.date] = {}
        self._marriage: dict[int, Marriage] = {}
        # id(marriage) → the ids of the spouses under which _marriage holds it
        self._marriage_keys: dict[int, list[int]] = {}
        # id(marriage) → (husband, wife) for a marriage made or rebound in this
        # batch (its spouses may have no key yet)
        self._spouses: dict[int, tuple[Person, Person]] = {}
        self._past_partners: dict[int, set[int]] = defaultdict(set)
        self._pregnancy: dict[int, Pregnancy] = {}
        self._contraception: dict[int, Contraception] = {}
        self._birth_order: dict[int, int] = {}
        self._rows: dict[int, int] = {}
        self._villages: dict[str, Region | None] = {}
        self._numbers: set[tuple[str, str]] = set()
        self._id_indexes: set[str] = set()
        self._births: dict[int, list[Birth]] = {}
        self.reversed: set[int] = set()
        self.new: dict[str, list] = defaultdict(list)
        self.dirty: dict[str, dict[int, Any]] = defaultdict(dict)

    # --- loading ------------------------------------------------------------

    @classmethod
    def load(cls, events, *, period: str, today: dt.date, actor=None, lock: bool = False) -> "RegisterState":
        state = cls(period=period, today=today, actor=actor)
        person_ids, household_ids = set(), set()
        for e in events:
            p, h = event_refs(e)
            person_ids |= p
            household_ids |= h
        state._load(person_ids, household_ids, lock)
        return state

    def _load(self, person_ids: set[int], household_ids: set[int], lock: bool) -> None:
        persons = Person.objects.all()
        households = Household.objects.all()
        if lock:
            persons, households = persons.select_for_update(), households.select_for_update()
        current = Marriage.objects.filter(
            any_of("husband_id", person_ids) | any_of("wife_id", person_ids), end_date__isnull=True
        ).values_list("husband_id", "wife_id")
        person_ids = person_ids | {pk for pair in current for pk in pair}
        found = list(persons.filter(any_of("pk", person_ids)))
        household_ids = household_ids | {p.household_id for p in found}
        for h in households.filter(any_of("pk", household_ids)).select_related("village"):
            self.households[h.pk] = h
        found += list(
            persons.filter(any_of("household_id", household_ids), status=PersonStatus.ACTIVE).exclude(
                any_of("pk", person_ids)
            )
        )
        for p in found:
            self._add_person(p)
        # Fellow members are loaded to know who is in a household (a head's
        # successor, a split); only the persons the events name (and their
        # spouses) need their spells and family records.
        ids = [pk for pk in person_ids if pk in self.persons]
        for s in Spell.objects.filter(any_of("person_id", ids), end__isnull=True):
            s.person = self.persons[s.person_id]
            self._spells[(id(s.person), s.kind)] = s
        ended = Spell.objects.filter(any_of("person_id", ids), end__isnull=False).values("person_id")
        for row in ended.annotate(last=Max("end")):
            self._last_end[id(self.persons[row["person_id"]])] = row["last"]
        for m in Marriage.objects.filter(any_of("husband_id", ids) | any_of("wife_id", ids)):
            self._add_marriage(m)
        for g in Pregnancy.objects.filter(any_of("woman_id", ids), ended=False):
            self._pregnancy[id(self.persons[g.woman_id])] = g
        for c in Contraception.objects.filter(any_of("woman_id", ids), end_date__isnull=True):
            self._contraception[id(self.persons[c.woman_id])] = c
        births = (
            Birth.objects.filter(any_of("mother_id", ids))
            .values("mother_id")
            .annotate(n=Count("id"), top=Max("birth_order"))
        )
        for b in births:
            self._birth_order[id(self.persons[b["mother_id"]])] = max(b["n"], b["top"] or 0)
        rows = (
            Person.objects.filter(any_of("household_id", self.households))
            .values("household_id")
            .annotate(top=Max("row"))
        )
        for r in rows:
            self._rows[id(self.households[r["household_id"]])] = r["top"] or 0

    def _add_person(self, p: Person) -> None:
        self.persons[p.pk] = p
        h = self.households.get(p.household_id)
        if h is not None:
            p.household = h
            if p.status == PersonStatus.ACTIVE:
                self._members[id(h)].append(p)

    def _add_marriage(self, m: Marriage) -> None:
        husband, wife = self.persons.get(m.husband_id), self.persons.get(m.wife_id)
        if m.end_date is None:
            self._marriage_keys[id(m)] = [id(p) for p in (husband, wife) if p is not None]
            for key in self._marriage_keys[id(m)]:
                self._marriage[key] = m
        else:
            if husband is not None:
                self._past_partners[id(husband)].add(m.wife_id)
            if wife is not None:
                self._past_partners[id(wife)].add(m.husband_id)

    # --- reads --------------------------------------------------------------

    def person(self, pk) -> Person | None:
        try:
            return self.persons.get(int(pk))
        except (TypeError, ValueError):
            return None

    def household(self, pk) -> Household | None:
        try:
            return self.households.get(int(pk))
        except (TypeError, ValueError):
            return None

    def members(self, household: Household) -> list[Person]:
        return list(self._members.get(id(household), []))

    def open_spell(self, person: Person, kind: str) -> Spell | None:
        return self._spells.get((id(person), kind))

    def open_spells(self, person: Person) -> list[Spell]:
        return [s for k in Spell.Kind.values if (s := self._spells.get((id(person), k)))]

    def last_change(self, person: Person) -> dt.date | None:
        """The date of the person's latest spell change (a start of an open
        spell or the end of a closed one): no event may come before it."""
        dates = [s.start for s in self.open_spells(person)]
        if id(person) in self._last_end:
            dates.append(self._last_end[id(person)])
        return max(dates, default=None)

    def marriage(self, person: Person) -> Marriage | None:
        return self._marriage.get(id(person))

    def spouse(self, person: Person) -> Person | None:
        m = self.marriage(person)
        if m is None:
            return None
        other = m.wife_id if m.husband_id == person.pk else m.husband_id
        if id(m) in self._spouses:  # made or rebound in this batch
            husband, wife = self._spouses[id(m)]
            return wife if husband is person else husband
        return self.persons.get(other)

    def were_married(self, a: Person, b: Person) -> bool:
        return bool(b.pk and b.pk in self._past_partners.get(id(a), set()))

    def pregnancy(self, woman: Person) -> Pregnancy | None:
        return self._pregnancy.get(id(woman))

    def contraception(self, woman: Person) -> Contraception | None:
        return self._contraception.get(id(woman))

    def births_so_far(self, mother: Person) -> int:
        return self._birth_order.get(id(mother), 0)

    def village(self, code: str) -> Region | None:
        if code not in self._villages:
            self._villages[code] = Region.objects.filter(code=code, level=Level.VILLAGE, valid_to__isnull=True).first()
        return self._villages[code]

    def household_number_taken(self, village_code: str, number: str) -> bool:
        if (village_code, number) in self._numbers:
            return True
        return Household.objects.filter(region_code=village_code, number=number).exists()

    def id_index_taken(self, index: str) -> bool:
        return index in self._id_indexes or Person.objects.filter(id_index=index).exists()

    # Lazy reads for the rare events (corrections of family links, reversals)
    # that touch rows no other event names; one query each, cached.

    def fetch_person(self, pk) -> Person | None:
        """The person, loading them (and their household) if the batch did not."""
        found = self.person(pk)
        if found is not None or pk is None:
            return found
        p = Person.objects.filter(pk=pk).first()
        if p is None:
            return None
        if p.household_id and p.household_id not in self.households:
            self.households[p.household_id] = Household.objects.select_related("village").get(pk=p.household_id)
            for member in Person.objects.filter(household_id=p.household_id, status=PersonStatus.ACTIVE).exclude(pk=pk):
                if member.pk not in self.persons:
                    self._add_person(member)
        self._add_person(p)
        for s in Spell.objects.filter(person_id=p.pk, end__isnull=True):
            s.person = p
            self._spells[(id(p), s.kind)] = s
        for m in Marriage.objects.filter(Q(husband_id=p.pk) | Q(wife_id=p.pk)):
            if m.end_date is None and (id(p) in self._marriage):
                continue
            self._add_marriage(m)
        return p

    def births_of(self, mother: Person) -> list[Birth]:
        """The mother's birth records (loaded once, then kept in memory)."""
        if id(mother) not in self._births:
            self._births[id(mother)] = list(Birth.objects.filter(mother_id=mother.pk).select_related("child"))
        return self._births[id(mother)]

    def birth_of(self, child: Person) -> Birth | None:
        for births in self._births.values():
            for b in births:
                if b.child_id == child.pk:
                    return b
        found = Birth.objects.filter(child_id=child.pk).first()
        mother = self.fetch_person(found.mother_id) if found is not None and found.mother_id else None
        if found is None or mother is None:
            return found
        return next(x for x in self.births_of(mother) if x.pk == found.pk)

    def move_birth(self, birth: Birth, mother: Person | None) -> None:
        """Move a birth record to another mother, keeping both mothers' birth
        orders (孩次) consistent: the old mother's later children move up one,
        the new mother's children born after this one move down one."""
        old = self.fetch_person(birth.mother_id) if birth.mother_id else None
        if old is not None:
            for b in self.births_of(old):
                if b is not birth and birth.birth_order and b.birth_order and b.birth_order > birth.birth_order:
                    b.birth_order -= 1
                    self.dirty["birth"][id(b)] = b
            self.births_of(old).remove(birth)
            self._birth_order[id(old)] = max([b.birth_order or 0 for b in self.births_of(old)], default=0)
        day = birth.child.birth_date
        if mother is not None:
            theirs = self.births_of(mother)
            before = [b for b in theirs if (b.child.birth_date, b.child_id) < (day, birth.child_id)]
            order = max([b.birth_order or 0 for b in before], default=0) + 1
            for b in theirs:
                if b.birth_order is not None and b.birth_order >= order:
                    b.birth_order += 1
                    self.dirty["birth"][id(b)] = b
            theirs.append(birth)
            birth.birth_order = order
            self._birth_order[id(mother)] = max([b.birth_order or 0 for b in theirs], default=0)
        birth.mother = mother
        self.dirty["birth"][id(birth)] = birth

    # --- writes (in memory) -------------------------------------------------

    def mark(self, kind: str, obj) -> None:
        if obj.pk is not None:
            self.dirty[kind][id(obj)] = obj

    def add_person(self, person: Person) -> Person:
        household = person.household
        self._rows[id(household)] = max(self._rows.get(id(household), 0), person.row)
        self._members[id(household)].append(person)
        if person.id_index:
            self._id_indexes.add(person.id_index)
        self.new["person"].append(person)
        return person

    def next_row(self, household: Household) -> int:
        return self._rows.get(id(household), 0) + 1

    def add_household(self, household: Household) -> Household:
        self._numbers.add((household.region_code, household.number))
        self.new["household"].append(household)
        return household

    def set_household(self, person: Person, household: Household, relationship: str) -> None:
        """Move the person's membership (not their spells) to `household`."""
        old = person.household
        if old is not None and person in self._members.get(id(old), []):
            self._members[id(old)].remove(person)
        person.household = household
        person.row = self.next_row(household)
        self._rows[id(household)] = person.row
        person.relationship = relationship
        self._members[id(household)].append(person)
        self.mark("person", person)

    def leave(self, person: Person) -> None:
        """The person is no longer an active member of their household."""
        members = self._members.get(id(person.household), [])
        if person in members:
            members.remove(person)

    def open(self, person, kind, *, region, household, start, event, reason, origin="") -> Spell:
        key = (id(person), kind)
        if key in self._spells:
            raise AssertionError(f"{person} already has an open {kind} spell")
        spell = Spell(
            person=person,
            household=household,
            kind=kind,
            region_code=region,
            start=start,
            opened_by=event,
            open_reason=reason,
            open_period=self.period,
            origin_code=origin,
            **spell_attrs_of(person),
        )
        self._spells[key] = spell
        self.new["spell"].append(spell)
        return spell

    def close(self, person, kind, *, end, event, reason, destination="") -> Spell | None:
        spell = self._spells.pop((id(person), kind), None)
        if spell is None:
            return None
        if end < spell.start:
            raise AssertionError(f"spell of {person} would end {end} before it starts {spell.start}")
        spell.end, spell.closed_by, spell.close_reason = end, event, reason
        self._last_end[id(person)] = max(end, self._last_end.get(id(person), end))
        spell.close_period, spell.destination_code = self.period, destination
        self.mark("spell", spell)
        return spell

    def transfer(self, person, kind, *, region, household, date, event) -> Spell:
        """Close the open spell of `kind` and open the next one, the pair
        naming each other's region (a move inside the register)."""
        old = self.close(person, kind, end=date, event=event, reason=Spell.Closed.MOVE, destination=region)
        return self.open(
            person,
            kind,
            region=region,
            household=household,
            start=date,
            event=event,
            reason=Spell.Opened.MOVE,
            origin=old.region_code if old else "",
        )

    def add_marriage(self, husband: Person, wife: Person, *, date, kind) -> Marriage:
        m = Marriage(husband=husband, wife=wife, date=date, kind=kind)
        self._spouses[id(m)] = (husband, wife)
        self._marriage_keys[id(m)] = [id(husband), id(wife)]
        self._marriage[id(husband)] = m
        self._marriage[id(wife)] = m
        self.new["marriage"].append(m)
        return m

    def rebind_marriage(self, m: Marriage, *, husband: Person, wife: Person) -> None:
        """Correct who the spouses of a current marriage are."""
        for key in self._marriage_keys.get(id(m), []):
            if self._marriage.get(key) is m:
                del self._marriage[key]
        m.husband, m.wife = husband, wife
        self._spouses[id(m)] = (husband, wife)
        self._marriage_keys[id(m)] = [id(husband), id(wife)]
        self._marriage[id(husband)] = m
        self._marriage[id(wife)] = m
        self.mark("marriage", m)

    def restore_marriage(self, m: Marriage, *, husband: Person, wife: Person) -> None:
        """Undo the end of a marriage (a reversed death)."""
        m.end_date, m.end_reason = None, ""
        self.rebind_marriage(m, husband=husband, wife=wife)

    def rejoin(self, person: Person) -> None:
        """The person is an active member of their household again."""
        members = self._members[id(person.household)]
        if person not in members:
            members.append(person)

    def end_marriage(self, m: Marriage, *, date, reason) -> None:
        m.end_date, m.end_reason = date, reason
        for key in self._marriage_keys[id(m)]:
            if self._marriage.get(key) is m:
                del self._marriage[key]
        self.mark("marriage", m)

    def add_birth(self, birth: Birth, mother: Person) -> None:
        self._birth_order[id(mother)] = birth.birth_order or 0
        if id(mother) in self._births:
            self._births[id(mother)].append(birth)
        self.new["birth"].append(birth)

    def add_pregnancy(self, g: Pregnancy) -> None:
        self._pregnancy[id(g.woman)] = g
        self.new["pregnancy"].append(g)

    def end_pregnancy(self, woman: Person, *, outcome: str, date) -> None:
        g = self._pregnancy.pop(id(woman))
        g.ended = True
        g.outcome_cipher, g.outcome_date_cipher = pregnancy_outcome_stored(outcome, date)
        self.mark("pregnancy", g)

    def add_contraception(self, c: Contraception) -> None:
        self._contraception[id(c.woman)] = c
        self.new["contraception"].append(c)

    def end_contraception(self, woman: Person, *, date) -> None:
        c = self._contraception.pop(id(woman))
        c.end_date = date
        self.mark("contraception", c)

    # --- flush --------------------------------------------------------------

    def flush(self, events: list[Event]) -> None:
        """Write every change in bulk. Order matters: rows referenced by
        others first, and old spells closed before new ones open (one open
        spell per person and kind is a database constraint)."""
        now = timezone.now()
        households = self.new["household"]
        heads = [h.head for h in households]
        for h in households:
            h.head = None
        Household.objects.bulk_create(households)
        Person.objects.bulk_create(self.new["person"])
        for h, head in zip(households, heads, strict=True):
            h.head = head
            self.dirty["household"][id(h)] = h
        persons = list(self.dirty["person"].values())
        for p in persons:
            p.updated_at = now
        bulk_update(Person, persons, PERSON_WRITE_FIELDS)
        for h in self.dirty["household"].values():
            h.updated_at = now
        bulk_update(Household, self.dirty["household"].values(), ["head", "status", "updated_at"])
        bulk_update(
            Spell,
            self.dirty["spell"].values(),
            ["end", "closed_by", "close_reason", "close_period", "destination_code"],
        )
        Spell.objects.bulk_create(self.new["spell"], batch_size=1000)
        # The spells' copies of sex, birth date … follow the persons the events
        # changed (a correction, a recomputed 人户状况) and those just given spells.
        spell_person_attrs_sync([p.pk for p in persons] + [s.person_id for s in self.new["spell"]])
        bulk_update(Marriage, self.dirty["marriage"].values(), ["husband", "wife", "end_date", "end_reason"])
        Marriage.objects.bulk_create(self.new["marriage"])
        Birth.objects.bulk_create(self.new["birth"])
        bulk_update(Birth, self.dirty["birth"].values(), ["mother", "father", "birth_order"])
        bulk_update(Pregnancy, self.dirty["pregnancy"].values(), ["ended", "outcome_cipher", "outcome_date_cipher"])
        Pregnancy.objects.bulk_create(self.new["pregnancy"])
        bulk_update(Contraception, self.dirty["contraception"].values(), ["end_date"])
        Contraception.objects.bulk_create(self.new["contraception"])
        bulk_update(
            Event, events, ["review_status", "approved_at", "approved_by", "approved_period", "person", "household"]
        )
