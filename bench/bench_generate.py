"""Synthetic population: generate N persons (default 100,000 × BENCH_SCALE;
BENCH_SCALE=10 is the 1M of the goal "1M persons in < 2 min").

Prints the time to generate in memory, to write the police extract (CSV),
and to write the register (COPY on PostgreSQL, executemany on SQLite) for a
tenth of N, each with its rate; the baseline measured in the same run is the
time Python needs to draw the same number of random values the generator
draws per person (≈25) and build one tuple per person — the floor for any
pure-Python generator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/bench_generate.py
"""

import random
import sys
import tempfile
import time
from pathlib import Path

from _support import bench, machine, migrate_and_load, run_in_database, scale

GOAL_SECONDS_PER_MILLION = 120


def main() -> int:
    return run_in_database("pims_bench_generate", run)


def run(vendor: str) -> int:
    from pims.synth.generator import Generator, Population
    from pims.synth.police_file import write_police_file
    from pims.synth.selectors import flow_codes, village_specs, villages_under
    from pims.synth.services import population_write

    n = int(100_000 * scale())
    print(f"machine: {machine()}; database {vendor}; {n} persons")
    migrate_and_load()
    villages = villages_under(["210124"])
    specs = village_specs(villages, persons=n)

    t0, c0 = time.perf_counter(), time.process_time()
    rnd = random.Random(1)
    floor = [tuple(rnd.random() for _ in range(25)) for _ in range(n)]
    baseline, baseline_cpu = time.perf_counter() - t0, time.process_time() - c0
    del floor

    t0, c0 = time.perf_counter(), time.process_time()
    generator = Generator(seed=1, other_codes=flow_codes(villages))
    pop = Population()
    for spec in specs:
        pop.extend(generator.village(spec))
    generate, generate_cpu = time.perf_counter() - t0, time.process_time() - c0
    persons = len(pop.persons)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rows = write_police_file(pop, Path(tmp) / "extract.csv")
        to_file = time.perf_counter() - t0

    small = Population()
    g2 = Generator(seed=2, other_codes=flow_codes(villages))
    for spec in village_specs(villages, persons=max(1000, n // 10)):
        small.extend(g2.village(spec))
    t0 = time.perf_counter()
    result = population_write(actor=None, population=small, generator=g2)
    to_db = time.perf_counter() - t0

    bench("generate_persons", persons, "persons", f"{len(pop.households)} households, {len(specs)} villages")
    bench("generate_seconds", generate, "s")
    bench("generate_cpu_seconds", generate_cpu, "s", "CPU of the generating process")
    bench("generate_rate", persons / generate, "persons/s")
    bench("generate_cpu_rate", persons / generate_cpu, "persons/s", "per CPU second")
    bench("generate_projected_1M_seconds", generate * 1_000_000 / persons, "s", f"goal < {GOAL_SECONDS_PER_MILLION} s")
    bench("generate_projected_1M_cpu_seconds", generate_cpu * 1_000_000 / persons, "s", "one idle core")
    bench("generate_baseline_seconds", baseline, "s", "25 random draws + one tuple per person")
    bench("generate_ratio_to_baseline", generate / baseline, "x")
    bench("generate_cpu_ratio_to_baseline", generate_cpu / baseline_cpu, "x", "CPU seconds, same run")
    bench("police_file_rate", rows / to_file, "rows/s", "CSV, names for codes")
    bench(
        "register_write_rate",
        result.persons / to_db,
        "persons/s",
        f"{result.persons} persons with encryption, events and spells, {vendor}",
    )
    total_1m = (generate + to_file) * 1_000_000 / persons
    bench("generate_and_file_projected_1M_seconds", total_1m, "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
