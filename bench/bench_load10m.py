"""A province-sized load: N persons (default 100,000 × BENCH_SCALE;
BENCH_SCALE=100 is the issue's 10M) in several counties of Liaoning, each
county ~400,000 people in 250 synthetic villages, generated and written into
the register county by county (`population_write`: COPY, approved households,
baseline events and spells). Prints the time, the disk size of the register
tables (pg_total_relation_size: data + indexes + TOAST) and a linear
projection to Liaoning's 42.6M.

The baseline measured in the same run is a raw COPY of the persons table's
final rows into an empty copy of the table with the same indexes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_SCALE=100 .venv/bin/python bench/bench_load10m.py
"""

import math
import sys
import tempfile
import time

from _support import (
    bench,
    liaoning_counties,
    machine,
    migrate_and_load,
    run_in_database,
    scale,
    synthetic_villages,
)

LIAONING = 42_591_407  # 7th census (2020)
PER_COUNTY = 400_000
VILLAGES_PER_COUNTY = 250
COPY_BLOCK = 1 << 20
TABLES = [
    "registry_household",
    "registry_person",
    "registry_marriage",
    "registry_birth",
    "registry_contraception",
    "registry_pregnancy",
    "events_event",
    "events_spell",
]


def main() -> int:
    return run_in_database("pims_bench_load10m", run)


def run(vendor: str) -> int:
    from django.db import connection

    from pims.synth.generator import Generator, Population
    from pims.synth.selectors import village_specs
    from pims.synth.services import population_write

    n = int(100_000 * scale())
    k = max(1, math.ceil(n / PER_COUNTY))
    print(f"machine: {machine()}; database {vendor}; {n} persons in {k} counties")
    migrate_and_load()
    gen_seconds = write_seconds = 0.0
    persons = households = 0
    cpu0 = time.process_time()
    for i, county in enumerate(liaoning_counties(k)):
        villages = synthetic_villages(county, VILLAGES_PER_COUNTY)
        t0 = time.perf_counter()
        generator = Generator(seed=100 + i, other_codes=[v.code for v in villages])
        pop = Population()
        for spec in village_specs(villages, persons=n // k):
            pop.extend(generator.village(spec))
        t1 = time.perf_counter()
        result = population_write(actor=None, population=pop, generator=generator)
        t2 = time.perf_counter()
        gen_seconds += t1 - t0
        write_seconds += t2 - t1
        persons += result.persons
        households += result.households
        print(
            f"  {county.name} {county.code[:6]}: {result.persons} persons, generate {t1 - t0:.1f}s, "
            f"write {t2 - t1:.1f}s",
            flush=True,
        )
        del pop
    cpu = time.process_time() - cpu0
    total = gen_seconds + write_seconds
    sizes = table_sizes(connection, vendor)
    size = sum(sizes.values())
    bench("load_persons", persons, "persons", f"{households} households, {k} counties")
    bench("load_seconds", total, "s", f"generate {gen_seconds:.1f}s + write {write_seconds:.1f}s")
    bench("load_cpu_seconds", cpu, "s", "CPU of this process (the database server's is not included)")
    bench("load_write_rate", persons / write_seconds, "persons/s")
    bench("load_disk_bytes", size, "bytes", ", ".join(f"{t} {v / 2**20:.0f} MiB" for t, v in sizes.items()))
    bench("load_bytes_per_person", size / persons, "bytes")
    bench("projection_42_6M_seconds", total * LIAONING / persons, "s", "linear")
    bench("projection_42_6M_disk_gib", size * LIAONING / persons / 2**30, "GiB", "linear")
    if vendor == "postgresql":
        copy_seconds = raw_copy_persons(connection)
        bench("raw_copy_persons_seconds", copy_seconds, "s")
        bench(
            "write_ratio_to_raw_copy",
            (persons / write_seconds) / (persons / copy_seconds),
            "x",
            "register write (persons + households + family + events + spells) vs COPY of persons only",
        )
    return 0


def table_sizes(connection, vendor) -> dict[str, int]:
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("ANALYZE")
            out = {}
            for table in TABLES:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                out[table] = cursor.fetchone()[0]
            return out
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return {"sqlite_file": pages * cursor.fetchone()[0]}


def raw_copy_persons(connection) -> float:
    """Seconds for a COPY of the persons' rows into an empty table with the
    same indexes. The rows go through a temporary file: at 10M persons they
    are ~8 GB, more than should sit in this process's memory."""
    with connection.cursor() as cursor, tempfile.TemporaryFile() as rows:
        pg = cursor.cursor
        with pg.copy("COPY registry_person TO STDOUT") as copy:
            for data in copy:
                rows.write(data)
        cursor.execute("CREATE TABLE bench_person (LIKE registry_person INCLUDING ALL)")
        rows.seek(0)
        t0 = time.perf_counter()
        with pg.copy("COPY bench_person FROM STDIN") as copy:
            while block := rows.read(COPY_BLOCK):
                copy.write(block)
        seconds = time.perf_counter() - t0
        cursor.execute("DROP TABLE bench_person")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
