"""County → province bundles (issue 19): the full first bundle and a monthly
incremental one, exported at the county and imported at the province, each
beside its floor measured in the same run.

Builds the county of bench_stats.py — N persons (20,000 × BENCH_SCALE;
BENCH_SCALE=50 is the 1M-person county of the issue) with a baseline and
twelve simulated months of births, deaths and moves — and records every month
but the last as accepted for every township. Then:

- `bundle_export_first_seconds`: `bundle_export` of those months — the whole
  register (persons, households, baseline and month events, spells, months);
  floor `bundle_export_floor_seconds`: `COPY (SELECT * …) TO STDOUT` of the
  same tables' rows (on SQLite: a bare SELECT of them);
- `bundle_import_first_seconds`: `bundle_import` of that file at the
  province (a database of its own, with the province's own keys); floor
  `bundle_import_floor_seconds`: the same rows COPYed into unlogged tables
  without indexes or constraints (on SQLite: executemany into bare tables);
- `bundle_export_month_seconds` / `bundle_import_month_seconds`: the last
  month accepted after the receipt was read, as the next bundle.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_SCALE=50 .venv/bin/python bench/bench_bundles.py

Databases BENCH_DB (default pims_bench_bundles) and BENCH_DB_province, created
and dropped on the server of DATABASE_URL (temporary SQLite files without
one). Times are wall seconds, printed with this process's and (PostgreSQL)
the backend's CPU. Exits non-zero when the goals (first bundle < 120 s each
way at ≥ 1M persons, a month < 5 s each way) are missed on PostgreSQL.
"""

import base64
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import load_rows, run_in_database, scale  # noqa: E402
from bench_stats import (  # noqa: E402
    COUNTY,
    EVENT_COLS,
    HOUSEHOLD_COLS,
    PERSON_COLS,
    SPELL_COLS,
    World,
    build_regions,
    server_cpu,
)

BENCH_DB = os.environ.get("BENCH_DB", "pims_bench_bundles")
TABLES = ["registry_household", "registry_person", "events_event", "events_spell", "approval_periodapproval"]
FIRST_GOAL, MONTH_GOAL, GOAL_PERSONS = 120.0, 5.0, 1_000_000
PROVINCE_FIELD_KEY = base64.b64encode(b"province-field-key-for-benching!").decode()


def timed(fn):
    c0, s0, t0 = time.process_time(), server_cpu(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, server_cpu() - s0, out


def report(name: str, wall: float, client: float, server: float, floor: float | None = None, note: str = "") -> None:
    ratio = f", {wall / floor:.1f}× the floor" if floor else ""
    print(f"bench: {name} {wall:.3f} s (cpu client {client:.2f} s, server {server:.2f} s{ratio}){note}", flush=True)


def build_county(persons: int) -> list[str]:
    """The county's register and its accepted months; returns the periods."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from pims.events.models import Event, Spell
    from pims.events.periods import period_of, previous_period
    from pims.lib import clock
    from pims.registry.models import Household, Person

    villages = build_regions(240 if persons >= 100_000 else max(12, persons // 2000))
    periods = [previous_period(period_of(clock.today()))]
    while len(periods) < 13:
        periods.insert(0, previous_period(periods[0]))
    world = World(villages, persons, periods).run()
    with transaction.atomic():
        load_rows(Household, HOUSEHOLD_COLS, world.rows["household"])
        load_rows(Person, PERSON_COLS, world.rows["person"])
        load_rows(Event, EVENT_COLS, world.rows["event"])
        load_rows(Spell, SPELL_COLS, world.spells)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Household, Person, Event, Spell]):
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"bench: bundles_county {len(world.rows['person'])} persons, {len(world.rows['event'])} events, "
        f"{len(world.spells)} spells, {len(villages)} villages",
        flush=True,
    )
    accept(periods[:-1])
    return periods


def accept(periods: list[str]) -> None:
    from pims.approval.models import ApprovalState, PeriodApproval
    from pims.lib import clock
    from pims.regions.models import Level, Region

    townships = Region.objects.filter(level=Level.TOWNSHIP, code__startswith=COUNTY)
    PeriodApproval.objects.bulk_create(
        PeriodApproval(region=t, region_code=t.code, period=p, state=ApprovalState.ACCEPTED, accepted_at=clock.now())
        for t in townships
        for p in periods
    )


def export_floor() -> dict[str, bytes]:
    """Every travelling table's rows out of the county, with nothing in between."""
    from django.db import connection

    out: dict[str, bytes] = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                buf = io.BytesIO()
                with cursor.cursor.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
                    for block in copy:
                        buf.write(block)
                out[table] = buf.getvalue()
            else:
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 — fixed table names
                out[table] = repr(cursor.fetchall()).encode()
    return out


def floor_tables(create: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            if not create:
                cursor.execute(f"DROP TABLE floor_{table}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"CREATE UNLOGGED TABLE floor_{table} (LIKE {table})")
            else:
                cursor.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM {table} WHERE 0")  # noqa: S608


def import_floor(county_rows: dict[str, bytes], sqlite_rows: dict[str, list]) -> None:
    """The same rows into unlogged tables without indexes or constraints."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY floor_{table} FROM STDIN") as copy:
                    copy.write(county_rows[table])
            elif sqlite_rows[table]:
                marks = ",".join("?" * len(sqlite_rows[table][0]))
                cursor.executemany(f"INSERT INTO floor_{table} VALUES ({marks})", sqlite_rows[table])  # noqa: S608


def sqlite_rows() -> dict[str, list]:
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            out[table] = cursor.fetchall()
        return out


class Instances:
    """Switch this process between the county's database and settings and the province's."""

    def __init__(self, vendor: str, tmp: Path):
        from django.conf import settings
        from django.db import connection

        self.settings = settings
        self.county_db = connection.settings_dict["NAME"]
        self.province_db = self._create_province_db(vendor, tmp)
        self.dirs = {"county": tmp / "county", "province": tmp / "province"}
        self.county_keys = (settings.FIELD_ENCRYPTION_KEYS, settings.BLIND_INDEX_KEY)
        self.vendor = vendor

    def _create_province_db(self, vendor: str, tmp: Path) -> str:
        from django.db import connection

        if vendor != "postgresql":
            return str(tmp / "province.sqlite3")
        name = f"{BENCH_DB}_province"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name}")
        return name

    def use(self, tier: str) -> None:
        from django.db import connection, connections

        connections.close_all()
        connection.settings_dict["NAME"] = self.county_db if tier == "county" else self.province_db
        s = self.settings
        s.PIMS_TIER, s.BUNDLE_DIR = tier, self.dirs[tier]
        if tier == "county":
            s.FIELD_ENCRYPTION_KEYS, s.BLIND_INDEX_KEY = self.county_keys
        else:
            s.FIELD_ENCRYPTION_KEYS, s.BLIND_INDEX_KEY = [PROVINCE_FIELD_KEY], "province-index-key"

    def drop_province(self) -> None:
        from django.db import connection, connections

        self.use("county")
        if self.vendor == "postgresql" and not os.environ.get("BENCH_KEEP"):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {self.province_db} WITH (FORCE)")
        connections.close_all()


def bench(vendor: str) -> int:
    from django.core.management import call_command

    from pims.bundles import keys, services
    from pims.regions.models import Region

    persons = int(20000 * scale())
    call_command("migrate", verbosity=0)
    periods = build_county(persons)
    county_code = f"{COUNTY}000000"
    with tempfile.TemporaryDirectory(prefix="bench_bundles_") as tmp_name:
        tiers = Instances(vendor, Path(tmp_name))
        try:
            tiers.use("province")
            call_command("migrate", verbosity=0)
            build_regions(240 if persons >= 100_000 else max(12, persons // 2000))
            keys.init()
            province_public = services.public_text(keys.public_file(tier="province"))
            tiers.use("county")
            keys.init()
            county_public = services.public_text(keys.public_file(tier="county", county_code=county_code))
            services.peer_trust(name="province.json", text=province_public)

            floor_out, client, server, county_rows = timed(export_floor)
            rows_sqlite = sqlite_rows() if vendor != "postgresql" else {}
            size = f" ({sum(map(len, county_rows.values())) >> 20} MiB)"
            report("bundle_export_floor_seconds", floor_out, client, server, note=size)
            wall, client, server, first = timed(lambda: services.bundle_export(county_code=county_code))
            report(
                "bundle_export_first_seconds", wall, client, server, floor_out, f" ({sum(first.counts.values())} rows)"
            )
            export_first = wall
            data = services.bundle_path("out", first.file_name).read_bytes()

            tiers.use("province")
            services.peer_trust(name="county.json", text=county_public)
            floor_tables(create=True)
            floor_in, client, server, _ = timed(lambda: import_floor(county_rows, rows_sqlite))
            floor_tables(create=False)
            report("bundle_import_floor_seconds", floor_in, client, server)
            wall, client, server, applied = timed(lambda: services.bundle_import(data=data, name=first.file_name))
            report("bundle_import_first_seconds", wall, client, server, floor_in, f" ({applied.get_state_display()})")
            import_first = wall
            receipt = services.receipt_for(applied)

            tiers.use("county")
            services.receipt_import(data=receipt)
            accept(periods[-1:])
            wall, client, server, month = timed(lambda: services.bundle_export(county_code=county_code))
            report("bundle_export_month_seconds", wall, client, server, note=f" ({sum(month.counts.values())} rows)")
            export_month = wall
            month_data = services.bundle_path("out", month.file_name).read_bytes()
            tiers.use("province")
            wall, client, server, _ = timed(lambda: services.bundle_import(data=month_data, name=month.file_name))
            report("bundle_import_month_seconds", wall, client, server)
            import_month = wall
            arrived = Region.objects.count()
            print(f"bench: bundles_province_regions {arrived}", flush=True)
        finally:
            tiers.drop_province()
    if vendor != "postgresql":
        return 0
    missed = [
        name
        for name, value, goal, applies in (
            ("first export", export_first, FIRST_GOAL, persons >= GOAL_PERSONS),
            ("first import", import_first, FIRST_GOAL, persons >= GOAL_PERSONS),
            ("month export", export_month, MONTH_GOAL, True),
            ("month import", import_month, MONTH_GOAL, True),
        )
        if applies and value > goal
    ]
    if missed:
        print(f"bench: goals missed: {', '.join(missed)}")
        return 1
    return 0


def main() -> int:
    return run_in_database(BENCH_DB, bench)


if __name__ == "__main__":
    sys.exit(main())
