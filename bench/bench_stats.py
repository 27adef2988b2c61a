"""Statistics reports: live report 1 (人口基本情况) and 2 (人口变动情况) over a
county, month close, and the same reports over closed months — for one
county and for a city of ten such counties.

Builds a county of N persons (default 20,000 × BENCH_SCALE; BENCH_SCALE=50
is the 1M-person county of the issue) in family households over 240
villages, opens their registered and resident spells with baseline events
twelve months ago, then simulates twelve approved months of births,
deaths, moves between villages and moves out of and into the county (with
their events and spells). Every timing is the best of three runs and is
printed with its ratio to a plain count(*) over the rows the live report
reads (the region's spells of the kind), measured in the same run.

The city figures: the county's closed-month cells are copied to nine more
counties (other codes under the same city), so that a city report over a
closed month reads the cells of ten 1M-person counties — the 10M-person
case — while only one county's spells exist. Its ratio is therefore given
to the cells actually read and to ten times the county's spell scan
(labelled as an estimate).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_SCALE=50 .venv/bin/python bench/bench_stats.py

On PostgreSQL the script creates (and afterwards drops) its own database
`pims_bench_stats` on the same server and loads rows with COPY; without a
PostgreSQL URL it uses a temporary SQLite file.
"""

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from pims.lib import clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import load_rows, process_cpu, run_in_database, scale  # noqa: E402

BENCH_DB = os.environ.get("BENCH_DB", "pims_bench_stats")
COUNTY = "210124"
OTHER_COUNTIES = ["210102", "210103", "210104", "210105", "210106", "210111", "210112", "210113", "210114"]
EXTERNAL = "110101000000"
NOW = dt.datetime.now(dt.UTC)


# --- data ----------------------------------------------------------------------

PERSON_COLS = [
    "id",
    "household_id",
    "row",
    "name",
    "name_pinyin",
    "name_initials",
    "id_cipher",
    "id_masked",
    "id_sex",
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
    "created_at",
    "updated_at",
]
HOUSEHOLD_COLS = [
    "id",
    "village_id",
    "region_code",
    "number",
    "hh_type",
    "address",
    "status",
    "form_number",
    "volume_number",
    "form_scan",
    "form_state",
    "version",
    "created_at",
    "updated_at",
]
EVENT_COLS = [
    "id",
    "event_type",
    "person_id",
    "household_id",
    "region_code",
    "effective_date",
    "report_date",
    "source",
    "review_status",
    "approved_period",
    "payload",
    "created_at",
]
SPELL_COLS = [
    "id",
    "person_id",
    "household_id",
    "kind",
    "region_code",
    "start",
    "end",
    "opened_by_id",
    "closed_by_id",
    "open_reason",
    "close_reason",
    "open_period",
    "close_period",
    "origin_code",
    "destination_code",
    "sex",
    "birth_date",
    "ethnicity",
    "hukou_type",
    "residence_status",
]
# Monthly rates of the simulation (of the current population).
RATES = {"birth": 0.0008, "death": 0.0006, "move_within": 0.001, "move_out": 0.0003, "move_in": 0.0003}


class World:
    """Persons with their open spells, simulated month by month."""

    def __init__(self, villages: list[tuple[int, str]], persons: int, periods: list[str], seed: int = 20261129):
        self.rnd = random.Random(seed)
        self.villages = villages
        self.periods = periods  # periods[0] = baseline month, then the simulated months
        self.rows: dict[str, list[tuple]] = {"household": [], "person": [], "event": []}
        self.spells: list[list] = []
        self.alive: list[list] = []  # [person_id, household_id, village_code, reg_spell_idx, res_spell_idx]
        self.ids = {"household": 0, "person": 0, "event": 0}
        self.target = persons
        self.households_by_village: dict[str, list[int]] = {}
        self.attrs: dict[int, tuple] = {}

    def next(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def day(self, period: str) -> dt.date:
        y, m = map(int, period.split("-"))
        return dt.date(y, m, self.rnd.randint(1, 28))

    def event(self, kind, person, household, code, period) -> int:
        eid = self.next("event")
        day = self.day(period)
        self.rows["event"].append(
            (eid, kind, person, household, code, day, day, "clerk", "approved", period, "{}", NOW)
        )
        return eid

    def open(self, person, household, code, day, event, reason, period, origin=""):
        out = []
        for kind in ("registered", "resident"):
            sid = len(self.spells) + 1
            self.spells.append(
                [
                    sid,
                    person,
                    household,
                    kind,
                    code,
                    day,
                    None,
                    event,
                    None,
                    reason,
                    "",
                    period,
                    "",
                    origin,
                    "",
                    *self.attrs[person],
                ]
            )
            out.append(sid - 1)
        return out

    def close(self, entry, day, event, reason, period, destination="") -> dt.date:
        """Close the person's two spells (never before they started); the day used."""
        day = max(day, *(self.spells[i][5] for i in (entry[3], entry[4])))
        for idx in (entry[3], entry[4]):
            s = self.spells[idx]
            s[6], s[8], s[10], s[12], s[14] = day, event, reason, period, destination
        return day

    def person(self, household, code, row, birth: dt.date) -> int:
        pid = self.next("person")
        r = self.rnd
        record = (
            pid,
            household,
            row,
            "某某",
            "",
            "",
            "",
            "",
            "",
            "1",
            r.choice("12"),
            birth,
            "01" if r.random() < 0.9 else "03",
            "",
            "",
            "20" if birth.year < 2000 else "10",
            "02" if row == 1 else "20",
            "2" if r.random() < 0.8 else "1",
            code,
            code,
            code,
            "1",
            "",
            "",
            "",
            "1",
            NOW,
            NOW,
        )
        self.rows["person"].append(record)
        # The spells' copies of sex, birth date, ethnicity, hukou type, residence status.
        self.attrs[pid] = (record[10], record[11], record[12], record[17], record[21])
        return pid

    def household(self, village_id, code) -> int:
        hid = self.next("household")
        self.rows["household"].append(
            (hid, village_id, code, f"{hid:08d}", "1", "测试村", "active", "", "", "", "approved", 1, NOW, NOW)
        )
        self.households_by_village.setdefault(code, []).append(hid)
        return hid

    def baseline(self):
        period = self.periods[0]
        day = self.day(period)
        r = self.rnd
        while self.ids["person"] < self.target:
            village_id, code = self.villages[self.ids["household"] % len(self.villages)]
            hid = self.household(village_id, code)
            for row in range(1, r.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)) + 1):
                birth = dt.date(r.randint(1930, 2024), r.randint(1, 12), r.randint(1, 28))
                pid = self.person(hid, code, row, birth)
                eid = self.event("baseline", pid, hid, code, period)
                reg, res = self.open(pid, hid, code, day, eid, "baseline", period)
                self.alive.append([pid, hid, code, reg, res])

    def take(self) -> list:
        i = self.rnd.randrange(len(self.alive))
        self.alive[i], self.alive[-1] = self.alive[-1], self.alive[i]
        return self.alive.pop()

    def month(self, period: str):
        r = self.rnd
        n = len(self.alive)
        for _ in range(round(n * RATES["birth"])):
            mother = self.alive[r.randrange(len(self.alive))]
            day = self.day(period)
            pid = self.person(mother[1], mother[2], 9, day)
            eid = self.event("birth", pid, mother[1], mother[2], period)
            self.alive.append(
                [pid, mother[1], mother[2], *self.open(pid, mother[1], mother[2], day, eid, "birth", period)]
            )
        for _ in range(round(n * RATES["death"])):
            p = self.take()
            eid = self.event("death", p[0], p[1], p[2], period)
            self.close(p, self.day(period), eid, "death", period)
        for _ in range(round(n * RATES["move_out"])):
            p = self.take()
            eid = self.event("move_out", p[0], p[1], p[2], period)
            self.close(p, self.day(period), eid, "move", period, EXTERNAL)
        for _ in range(round(n * RATES["move_within"])):
            p = self.take()
            _vid, code = self.villages[r.randrange(len(self.villages))]
            if code == p[2]:
                self.alive.append(p)
                continue
            day = self.day(period)
            eid = self.event("move_within", p[0], p[1], code, period)
            day = self.close(p, day, eid, "move", period, code)
            reg, res = self.open(p[0], p[1], code, day, eid, "move", period, p[2])
            self.alive.append([p[0], p[1], code, reg, res])
        for _ in range(round(n * RATES["move_in"])):
            village_id, code = self.villages[r.randrange(len(self.villages))]
            hid = self.household(village_id, code)
            day = self.day(period)
            pid = self.person(hid, code, 1, dt.date(r.randint(1950, 2005), 6, 1))
            eid = self.event("move_in", pid, hid, code, period)
            self.alive.append([pid, hid, code, *self.open(pid, hid, code, day, eid, "move", period, EXTERNAL)])

    def run(self):
        self.baseline()
        for period in self.periods[1:]:
            self.month(period)
        return self


def build_regions(n_villages: int) -> list[tuple[int, str]]:
    from pims.regions.models import Level, Region

    valid = dt.date(2023, 6, 30)
    prov = Region.objects.create(code="210000000000", name="辽宁省", level=Level.PROVINCE, valid_from=valid)
    city = Region.objects.create(code="210100000000", name="沈阳市", level=Level.CITY, parent=prov, valid_from=valid)
    county = Region.objects.create(
        code=f"{COUNTY}000000", name="法库县", level=Level.COUNTY, parent=city, valid_from=valid
    )
    for i, code in enumerate(OTHER_COUNTIES):
        Region.objects.create(
            code=f"{code}000000", name=f"区{i + 1}", level=Level.COUNTY, parent=city, valid_from=valid
        )
    per_township = 12
    for t in range((n_villages + per_township - 1) // per_township):
        town = Region.objects.create(
            code=f"{COUNTY}{101 + t:03d}000", name=f"镇{t + 1}", level=Level.TOWNSHIP, parent=county, valid_from=valid
        )
        Region.objects.bulk_create(
            Region(
                code=f"{COUNTY}{101 + t:03d}{200 + v:03d}",
                name=f"镇{t + 1}村{v + 1}",
                level=Level.VILLAGE,
                parent=town,
                valid_from=valid,
            )
            for v in range(min(per_township, n_villages - t * per_township))
        )
    return list(Region.objects.filter(level=Level.VILLAGE).order_by("code").values_list("pk", "code"))


def server_cpu() -> float:
    """CPU seconds (user + system) used so far by this connection's
    PostgreSQL backend process (0 on SQLite, where the work is in-process).
    Parallel workers are separate processes and are not included: the
    *_serial figures run without them."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return process_cpu(pid)


LAST_CPU = {"client": 0.0, "server": 0.0}


def best_of(fn, runs=3) -> tuple[float, Any]:
    """The best wall time of `runs` calls; the CPU times of that call (this
    process, the database backend) are left in LAST_CPU."""
    times: list[float] = []
    out = None
    for _ in range(runs):
        c0, s0, t0 = time.process_time(), server_cpu(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        if not times or wall < min(times):
            LAST_CPU.update(client=time.process_time() - c0, server=server_cpu() - s0)
        times.append(wall)
    return min(times), out


def cpu_text() -> str:
    return f"cpu client {LAST_CPU['client']:.3f} s, server {LAST_CPU['server']:.3f} s"


def copy_cells_to_other_counties(close_ids: list[int], period: str, actor) -> list[int]:
    """The closed cells of the county, copied under nine other county codes:
    a city of ten closed counties (set-based INSERT … SELECT)."""
    from django.db import connection

    from pims.regions.models import Region
    from pims.stats.models import ClosedFlow, ClosedHousehold, ClosedStock, MonthClose

    new_ids = []
    with connection.cursor() as cursor:
        for code in OTHER_COUNTIES:
            region = Region.objects.get(code=f"{code}000000")
            for close_id in close_ids:
                source = MonthClose.objects.get(pk=close_id)
                close = MonthClose.objects.create(
                    region=region,
                    region_code=region.code,
                    period=source.period,
                    closed_by=actor,
                    closed_at=NOW,
                    spells=source.spells,
                )
                new_ids.append(close.pk)
                for model, cols in (
                    (ClosedStock, ["kind", "sex", "age_group", "n", "han", "agri", "nonagri", "rs1", "rs2", "rs3"]),
                    (
                        ClosedFlow,
                        ["kind", "side", "open_reason", "origin_code", "close_reason", "destination_code", "n"],
                    ),
                    (ClosedHousehold, ["kind", "size", "households", "persons"]),
                ):
                    table = model._meta.db_table
                    collist = ", ".join(cols)
                    cursor.execute(
                        f"INSERT INTO {table} (close_id, region_code, {collist}) "  # noqa: S608
                        f"SELECT %s, %s || substr(region_code, 7), {collist} FROM {table} WHERE close_id = %s",
                        [close.pk, code, close_id],
                    )
    return new_ids


def main() -> int:
    return run_in_database(BENCH_DB, bench)


def bench(vendor: str) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from pims.accounts.roles import Role
    from pims.events.models import Event, Spell
    from pims.events.periods import period_of, previous_period
    from pims.regions.models import Region
    from pims.registry.models import Household, Person
    from pims.stats import selectors, services
    from pims.stats.frame import Params, stock_q
    from pims.stats.models import ClosedFlow, ClosedStock
    from pims.stats.reports.change import ChangeReport
    from pims.stats.reports.population import PopulationReport

    persons = int(20000 * scale())
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    villages = build_regions(240 if persons >= 100_000 else max(12, persons // 2000))
    last = previous_period(period_of(clock.today()))
    periods = [last]
    while len(periods) < 13:
        periods.insert(0, previous_period(periods[0]))
    world = World(villages, persons, periods).run()
    generated = time.perf_counter()
    with transaction.atomic():
        load_rows(Household, HOUSEHOLD_COLS, world.rows["household"])
        load_rows(Person, PERSON_COLS, world.rows["person"])
        load_rows(Event, EVENT_COLS, world.rows["event"])
        load_rows(Spell, SPELL_COLS, world.spells)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Event, Spell]):
            cursor.execute(sql)
    # As a register that autovacuum has visited: statistics and the
    # visibility map (index-only scans) are current.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    loaded = time.perf_counter()
    print(f"bench: stats_generate {generated - started:.1f} s")
    print(
        f"bench: stats_load {loaded - generated:.1f} s ({len(world.rows['person'])} persons, "
        f"{len(world.spells)} spells, {len(world.rows['event'])} events, {len(villages)} villages, {vendor})"
    )

    county = Region.objects.get(code=f"{COUNTY}000000")
    city = Region.objects.get(code="210100000000")
    user = get_user_model().objects.create(username="bench_county", role=Role.COUNTY_ADMIN, region=county)
    city_user = get_user_model().objects.create(username="bench_city", role=Role.CITY_VIEWER, region=city)
    params = Params(last, last)
    kind = Spell.Kind.REGISTERED
    spells = Spell.objects.filter(kind=kind, region_code__startswith=county.prefix)
    scan_all, total_spells = best_of(lambda: spells.count())
    print(f"bench: count_spells_of_kind {scan_all:.4f} s ({total_spells} rows; {cpu_text()})")
    scan_stock, stock = best_of(lambda: spells.filter(stock_q(last)).count())
    print(f"bench: count_stock_at_period_end {scan_stock:.4f} s ({stock} rows; {cpu_text()})")

    def report(definition, region, who):
        return selectors.report_run(user=who, key=definition.key, code=region.code, params=params)

    failures = []

    def measure(name, fn, scan, goal=None, scan_label="count(*)"):
        seconds, result = best_of(fn)
        goal_text = f", goal < {goal} s" if goal else ""
        print(f"bench: {name} {seconds:.3f} s (ratio to {scan_label} {seconds / scan:.1f}{goal_text}; {cpu_text()})")
        if goal and persons >= 1_000_000 and seconds >= goal:
            failures.append(name)
        return result

    r1 = measure("report1_live_county", lambda: report(PopulationReport(), county, user), scan_stock, 2)
    r2 = measure("report2_live_county", lambda: report(ChangeReport(), county, user), scan_all, 2)
    assert r1.section("main").total.values["total"] == stock
    if vendor == "postgresql":
        # Without parallel workers all the work is in the backend: its CPU time
        # is the whole cost, and the wall time what one core does.
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        scan_serial, _ = best_of(lambda: spells.filter(stock_q(last)).count())
        print(f"bench: count_stock_at_period_end_serial {scan_serial:.4f} s ({cpu_text()})")
        measure("report1_live_county_serial", lambda: report(PopulationReport(), county, user), scan_serial)
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
    assert all(row.values["balance"] == 0 for row in r2.section("main").all_rows())

    t0 = time.perf_counter()
    closes = [
        services.month_close(actor=user, region=county, period=p, override_reason="基准测试：合成数据无村报告").pk
        for p in (previous_period(last), last)
    ]
    print(f"bench: month_close_two_months {time.perf_counter() - t0:.2f} s")
    c1 = measure("report1_closed_county", lambda: report(PopulationReport(), county, user), scan_stock)
    c2 = measure("report2_closed_county", lambda: report(ChangeReport(), county, user), scan_all)
    assert c1.closed and c2.closed
    assert c1.section("main").total.values == r1.section("main").total.values
    assert c2.section("main").total.values == r2.section("main").total.values

    copy_cells_to_other_counties(closes, last, user)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    cells = ClosedStock.objects.count() + ClosedFlow.objects.count()
    cell_scan, _ = best_of(lambda: (ClosedStock.objects.count(), ClosedFlow.objects.count()))
    print(
        f"bench: city_cells {cells} cells of {len(OTHER_COUNTIES) + 1} counties "
        f"(~{(len(OTHER_COUNTIES) + 1) * stock} persons), count(*) {cell_scan:.4f} s"
    )
    estimate = 10 * scan_stock
    m1 = measure(
        "report1_closed_city_10x",
        lambda: report(PopulationReport(), city, city_user),
        cell_scan,
        1,
        "count(*) of the cells",
    )
    m2 = measure(
        "report2_closed_city_10x",
        lambda: report(ChangeReport(), city, city_user),
        cell_scan,
        1,
        "count(*) of the cells",
    )
    assert m1.closed and m2.closed
    print(f"bench: estimated_count_10x_spells {estimate:.3f} s (10 × the county's stock count)")
    assert m1.section("main").total.values["total"] == 10 * stock
    if failures:
        print(f"bench: over goal: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
