"""Writing a generated population into the register, set-based.

The rows go in with explicit ids (the tables are locked against other
writers for the duration, then the sequences are moved past them) as COPY on
PostgreSQL and batched executemany on SQLite — never one ORM save per row.
Households are written as approved collection forms, and each person's
registered and resident spells are opened by a baseline event, exactly the
rows `household_approve` → `events.services.baseline_open` would write, but
for a whole county in a handful of statements.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.events.models import Event, EventType, Spell
from pims.events.periods import period_of
from pims.events.spell_attrs import PERSON_ATTRS
from pims.integration.bulk import TableWriter, adapt_value, lock_tables, max_id, quote, reset_sequences
from pims.lib import clock
from pims.lib.names import name_pinyin
from pims.regions.models import Level, Region
from pims.registry.models import Birth, Contraception, FormState, Household, Marriage, Person, Pregnancy
from pims.registry.personal import citizen_id_index, citizen_id_stored, phone_stored

from .generator import Generator, Population

MODELS = [Household, Person, Marriage, Birth, Contraception, Pregnancy, Event, Spell]

HOUSEHOLD_COLUMNS = [
    "id",
    "village_id",
    "region_code",
    "number",
    "hh_type",
    "address",
    "head_id",
    "status",
    "form_number",
    "volume_number",
    "form_state",
    "collected_on",
    "approved_at",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
]
PERSON_COLUMNS = [
    "id",
    "household_id",
    "row",
    "name",
    "name_pinyin",
    "name_initials",
    "id_cipher",
    "id_index",
    "id_masked",
    "id_sex",
    "id_birth_date",
    "no_id_reason",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "occupation",
    "marital_status",
    "relationship",
    "hukou_type",
    "registered_code",
    "residence_code",
    "responsible_code",
    "residence_status",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "status",
    "death_date",
    "created_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "id",
    "event_type",
    "person_id",
    "household_id",
    "region_code",
    "effective_date",
    "report_date",
    "source",
    "reporter_id",
    "review_status",
    "approved_at",
    "approved_by_id",
    "approved_period",
    "payload",
    "created_at",
]
SPELL_COLUMNS = [
    "id",
    "person_id",
    "household_id",
    "kind",
    "region_code",
    "start",
    "end",
    "opened_by_id",
    "open_reason",
    "open_period",
    *PERSON_ATTRS,
]


@dataclass
class WriteResult:
    households: int
    persons: int
    marriages: int
    births: int
    contraceptions: int
    pregnancies: int
    events: int
    spells: int
    reissued_ids: int = 0

    def __str__(self):
        return (
            f"{self.households} 户 households, {self.persons} 人 persons, {self.marriages} marriages, "
            f"{self.births} births, {self.contraceptions} contraceptions, {self.pregnancies} pregnancies, "
            f"{self.events} baseline events, {self.spells} spells"
        )


def population_write(
    *,
    actor,
    population: Population,
    generator: Generator,
    baseline_date: dt.date | None = None,
    approved_at: dt.datetime | None = None,
    username: str = "",
) -> WriteResult:
    """Write `population` (from `generator`, which can reissue an ID that is
    already registered) as approved households with baseline spells.
    The baseline counts in the month of `approved_at` (default now); a
    history of events to follow (`event_year_write`) needs it earlier."""
    baseline_date = baseline_date or generator.as_of
    codes = sorted({h.village_code for h in population.households})
    villages = dict(Region.objects.filter(code__in=codes, level=Level.VILLAGE).values_list("code", "pk"))
    missing = set(codes) - set(villages)
    if missing:
        raise ValueError(f"villages not in the region table: {', '.join(sorted(missing)[:5])}")
    with transaction.atomic():
        lock_tables(MODELS)
        reissued = _avoid_registered_ids(population, generator)
        base = {m: max_id(m) for m in MODELS}
        result = _write(population, villages, base, baseline_date, actor, approved_at or clock.now())
        result.reissued_ids = reissued
        reset_sequences(MODELS)
        audit_record(
            actor=actor,
            username=username,
            action=Action.LOAD,
            obj=("synth.population", str(base[Household] + 1)),
            region_code=_common_prefix(codes),
            detail={"what": "synthetic_population", "households": result.households, "persons": result.persons},
        )
    return result


def _avoid_registered_ids(population: Population, generator: Generator) -> int:
    """Give a fresh number to anyone whose generated ID is already in the
    register (an earlier run for other villages, or a form typed by hand)."""
    reissued = 0
    pending = [p for p in population.persons if p.citizen_id]
    while pending:
        index = {citizen_id_index(p.citizen_id): p for p in pending}
        taken: set[str] = set()
        keys = list(index)
        with connection.cursor() as cursor:
            for i in range(0, len(keys), 900):
                chunk = keys[i : i + 900]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT id_index FROM {quote(Person._meta.db_table)} WHERE id_index IN ({marks})",  # noqa: S608
                    chunk,
                )
                taken.update(r[0] for r in cursor.fetchall())
        pending = [index[k] for k in taken]
        for p in pending:
            generator.reissue_id(p)
        reissued += len(pending)
    return reissued


def _write(pop: Population, villages: dict[str, int], base: dict, baseline: dt.date, actor, moment) -> WriteResult:
    period = period_of(timezone.localdate(moment))
    now = adapt_value(moment)
    empty_payload = adapt_value({})
    actor_id = getattr(actor, "pk", None)
    hid0, pid0 = base[Household], base[Person]

    def hid(k):
        return hid0 + 1 + k

    def pid(k):
        return None if k is None else pid0 + 1 + k

    TableWriter(Household, HOUSEHOLD_COLUMNS).write(
        (
            hid(h.key),
            villages[h.village_code],
            h.village_code,
            h.number,
            h.hh_type,
            h.address,
            pid(h.head),
            Household.Status.ACTIVE,
            h.form_number,
            h.volume_number,
            FormState.APPROVED,
            baseline,
            now,
            1,
            actor_id,
            now,
            now,
        )
        for h in pop.households
    )

    def person_rows():
        for p in pop.persons:
            id_cipher, id_index, id_masked = citizen_id_stored(p.citizen_id)
            phone_cipher, phone_idx, phone_masked = phone_stored(p.phone)
            pinyin, initials = name_pinyin(p.name)
            has_id = bool(p.citizen_id)
            yield (
                pid(p.key),
                hid(p.household),
                p.row,
                p.name,
                pinyin,
                initials,
                id_cipher,
                id_index,
                id_masked,
                p.sex if has_id else "",
                p.birth_date if has_id else None,
                p.no_id_reason,
                p.sex,
                p.birth_date,
                p.ethnicity,
                p.education,
                p.occupation,
                p.marital_status,
                p.relationship,
                p.hukou_type,
                p.registered_code,
                p.residence_code,
                p.responsible_code,
                p.residence_status,
                phone_cipher,
                phone_idx,
                phone_masked,
                "1",
                None,
                now,
                now,
            )

    persons = TableWriter(Person, PERSON_COLUMNS).write(person_rows())
    marriages = TableWriter(Marriage, ["id", "husband_id", "wife_id", "date", "kind"]).write(
        (base[Marriage] + 1 + i, pid(h), pid(w), d, kind) for i, (h, w, d, kind) in enumerate(pop.marriages)
    )
    births = TableWriter(Birth, ["id", "child_id", "mother_id", "father_id", "birth_order"]).write(
        (base[Birth] + 1 + i, pid(c), pid(m), pid(f), o) for i, (c, m, f, o) in enumerate(pop.births)
    )
    contraceptions = TableWriter(Contraception, ["id", "woman_id", "method", "start_date"]).write(
        (base[Contraception] + 1 + i, pid(w), m, d) for i, (w, m, d) in enumerate(pop.contraceptions)
    )
    pregnancies = TableWriter(Pregnancy, ["id", "woman_id", "start_date"]).write(
        (base[Pregnancy] + 1 + i, pid(w), d) for i, (w, d) in enumerate(pop.pregnancies)
    )
    eid0, sid0 = base[Event], base[Spell]
    events = TableWriter(Event, EVENT_COLUMNS).write(
        (
            eid0 + 1 + p.key,
            EventType.BASELINE,
            pid(p.key),
            hid(p.household),
            p.registered_code,
            baseline,
            baseline,
            Event.Source.CLERK,
            actor_id,
            Event.Review.APPROVED,
            now,
            actor_id,
            period,
            empty_payload,
            now,
        )
        for p in pop.persons
    )

    def spell_rows():
        for p in pop.persons:
            event = eid0 + 1 + p.key
            attrs = tuple(getattr(p, name) for name in PERSON_ATTRS)  # the spells' copies
            yield (
                sid0 + 1 + 2 * p.key,
                pid(p.key),
                hid(p.household),
                Spell.Kind.REGISTERED,
                p.registered_code,
                baseline,
                None,
                event,
                Spell.Opened.BASELINE,
                period,
                *attrs,
            )
            yield (
                sid0 + 2 + 2 * p.key,
                pid(p.key),
                hid(p.household),
                Spell.Kind.RESIDENT,
                p.residence_code,
                baseline,
                None,
                event,
                Spell.Opened.BASELINE,
                period,
                *attrs,
            )

    spells = TableWriter(Spell, SPELL_COLUMNS).write(spell_rows())
    return WriteResult(len(pop.households), persons, marriages, births, contraceptions, pregnancies, events, spells)


def _common_prefix(codes: list[str]) -> str:
    if not codes:
        return ""
    first, last = codes[0], codes[-1]
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return first[:n]


# --- a year of change events ------------------------------------------------------


@dataclass
class EventYearResult:
    year: int
    months: int
    counts: dict
    refused: int = 0

    def __str__(self):
        kinds = ", ".join(f"{EventType(k).label} {n}" for k, n in sorted(self.counts.items(), key=lambda kv: -kv[1]))
        return f"{self.year}: {sum(self.counts.values())} events in {self.months} months ({kinds})"


def event_year_write(
    *,
    actor,
    year: int,
    seed: int,
    prefixes: list[str],
    after: dt.date | None = None,
    username: str = "",
    today: dt.date | None = None,
    log=None,
) -> EventYearResult:
    """Generate and apply a year of change events for the register under
    `prefixes` (pims.synth.event_year), dated after `after` (the baseline
    date; default the end of the year before), month by month: each month's events
    are filed and applied in one transaction through the events engine
    (`engine.apply`, set-based), approved at the end of their month (or now,
    for the current month), with one audit entry. Months that have not
    begun are left out. Deterministic by seed for the same register.

    An event the engine refuses is left out and counted (`refused`; the
    planner is meant to make none) and the rest of its month applied."""
    import copy
    from collections import Counter

    from pims.events import engine
    from pims.events.errors import EventRefused
    from pims.events.periods import last_day

    from .event_year import EventPlanner

    today = today or clock.today()
    if year > today.year:
        raise ValueError(f"{year} has not begun: events can only be generated up to today ({today})")
    planner = EventPlanner(seed=seed, year=year, prefixes=prefixes, today=today, after=after)
    counts: Counter[str] = Counter()
    refused = months = 0
    for period in planner.periods():
        events = planner.plan(period)
        end = last_day(period)
        # Approved at the end of the month — or now, in the month that is still running.
        approved_at = min(timezone.make_aware(dt.datetime.combine(end, dt.time(18))), clock.now())
        with transaction.atomic():
            for _attempt in range(3):
                # Copies: a refused run leaves its marks (keys, a birth's child) on the events it was given.
                batch = [copy.copy(e) for e in events]
                try:
                    with transaction.atomic():
                        Event.objects.bulk_create(batch)
                        engine.apply(batch, actor=actor, approved_at=approved_at)
                    break
                except EventRefused as exc:
                    bad = {id(e) for e, _messages in exc.by_event}
                    refused += len(bad)
                    if log is not None:
                        log("\n".join(exc.messages))
                    events = [e for e, b in zip(events, batch, strict=True) if id(b) not in bad]
            else:
                raise RuntimeError(f"{period}: the events engine kept refusing the generated events")
            month = Counter(e.event_type for e in events)
            audit_record(
                actor=actor,
                username=username,
                action=Action.LOAD,
                obj=("synth.events", period),
                region_code=_common_prefix(sorted(prefixes)),
                detail={"what": "synthetic_events", "period": period, "events": sum(month.values())},
            )
        counts += month
        months += 1
        if log is not None:
            log(f"{period}: {sum(month.values())} events")
    return EventYearResult(year, months, dict(counts), refused)
